// SQLite in the file the tests name (an absolute path), so each run starts empty.
module.exports = ({ env }) => ({
  connection: {
    client: 'sqlite',
    connection: {
      filename: env('DATABASE_FILENAME'),
    },
    useNullAsDefault: true,
  },
});
