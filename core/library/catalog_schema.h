// catalog_schema.h - PRIVATE to core/library: the catalog's migrations, oldest first.
//
// Migration N brings a catalog from user_version N-1 to N. A released migration is never
// edited: a schema change appends migration N+1 (and a fixture test that opens a catalog of
// the previous version: tests/data/library/catalog-vN.sqlite3).
#pragma once

#include <QString>

#include <span>

namespace imago {

class SqliteConnection;

struct CatalogMigration
{
    int version;             // user_version after this migration
    const char *description; // for the log
    const char *sql;         // fixed DDL/DML, run with sqlite3_exec
    // Data changes that need code (may be null); runs after `sql` in the same transaction.
    void (*run)(SqliteConnection &db);
};

std::span<const CatalogMigration> catalogMigrations();

// The reason code (reason.h) of a sentence that schema version 1 stored without one.
const char *version1ReasonCode(const QString &text);

} // namespace imago
