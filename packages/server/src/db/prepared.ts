/**
 * A query built once per database handle and sent as a named statement (PostgreSQL parses and
 * plans it once per connection), for the few reads every request makes: building SQL is a fifth of
 * the server's time under load otherwise. `build` gets the handle and returns the prepared query.
 */
export function preparedPer<D extends object, Q>(build: (db: D) => Q): (db: D) => Q {
  const built = new WeakMap<D, Q>();
  return (db) => {
    let query = built.get(db);
    if (!query) built.set(db, (query = build(db)));
    return query;
  };
}
