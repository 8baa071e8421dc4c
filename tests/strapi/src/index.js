'use strict';

// At start: the locales the tests translate into, and a full-access API token whose key is written
// to the file DRAGOMAN_STRAPI_TOKEN_FILE names (Strapi shows a key only once, when it is created).
const fs = require('fs');

module.exports = {
  register() {},

  async bootstrap({ strapi }) {
    const locales = strapi.plugin('i18n').service('locales');
    const existing = (await locales.find()).map((locale) => locale.code);
    for (const [code, name] of [['es', 'Spanish (es)'], ['ca', 'Catalan (ca)']]) {
      if (!existing.includes(code)) {
        await locales.create({ code, name });
      }
    }
    const tokenFile = process.env.DRAGOMAN_STRAPI_TOKEN_FILE;
    if (tokenFile && !fs.existsSync(tokenFile)) {
      const token = await strapi.service('admin::api-token').create({
        name: `dragoman-tests-${Date.now()}`,
        description: 'Dragoman connector tests',
        type: 'full-access',
        lifespan: null,
      });
      fs.writeFileSync(tokenFile, token.accessKey);
    }
  },
};
