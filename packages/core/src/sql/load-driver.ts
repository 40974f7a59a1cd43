/**
 * Loads an optional peer dependency (a database driver) with `load`, a
 * dynamic `import()` of it. When it is missing, throws an error naming the
 * package to install, with the loader's error as the cause.
 */
export async function loadDriver<T>(name: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (err) {
    throw new Error(`The SQL store needs the "${name}" package for this database URL; install it (npm install ${name})`, { cause: err });
  }
}
