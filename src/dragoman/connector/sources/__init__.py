"""Source systems the content connector reads entities from and writes translations back to: the
interface (`base`), one module per kind (`strapi`), and `registry`, which builds those a service's
settings configure. The embedded catalogue (entities kept in Dragoman's own state database) needs
no source system."""
