// sqlite_connection.h - PRIVATE to core/library (includes sqlite3.h; never include it from a
// public header): one SQLite connection with cached prepared statements.
//
// Every statement with a value in it is prepared and bound; exec() is only for fixed DDL and
// pragmas written in this folder. Errors throw LibraryError naming the database file, the
// SQLite message and the statement. Not thread-safe: one thread at a time, like its Catalog.
#pragma once

#include "library_error.h"

#include <QByteArray>
#include <QString>

#include <sqlite3.h>

#include <concepts>
#include <cstdint>
#include <span>
#include <unordered_map>

namespace imago {

class SqliteConnection;

// A prepared statement in use. Binding indexes are 1-based (SQLite's), columns 0-based.
// Destruction resets the statement and clears its bindings so the cache can reuse it.
class SqlQuery
{
public:
    SqlQuery(SqliteConnection &db, sqlite3_stmt *stmt);
    ~SqlQuery();
    SqlQuery(const SqlQuery &) = delete;
    SqlQuery &operator=(const SqlQuery &) = delete;

    template<std::integral T> SqlQuery &bind(int i, T v) { return bindInt64(i, std::int64_t(v)); }
    SqlQuery &bindInt64(int i, std::int64_t v);
    SqlQuery &bind(int i, const QString &v);           // always text: a null QString binds ''
    SqlQuery &bindTextOrNull(int i, const QString &v); // a null QString binds NULL
    SqlQuery &bind(int i, const char *latin1);
    SqlQuery &bindNull(int i);
    SqlQuery &bindBlob(int i, std::span<const std::uint8_t> bytes);

    // One step: true when a row is available, false when done. Throws on error.
    bool next();
    // Runs to completion (for INSERT/UPDATE/DELETE); returns sqlite3_changes().
    int run();

    bool isNull(int col) const;
    std::int64_t int64(int col) const;
    QString text(int col) const;                       // NULL reads as a null QString
    std::span<const std::uint8_t> blob(int col) const; // valid until the next step

private:
    SqliteConnection &m_db;
    sqlite3_stmt *m_stmt;
};

class SqliteConnection
{
public:
    enum class Mode
    {
        ReadWrite,
        ReadOnly
    };
    // Opens (creating in ReadWrite mode) the database file. Throws LibraryError.
    SqliteConnection(const QString &file, Mode mode);
    ~SqliteConnection();
    SqliteConnection(const SqliteConnection &) = delete;
    SqliteConnection &operator=(const SqliteConnection &) = delete;

    // `sql` must be a string literal (the pointer is the cache key).
    SqlQuery query(const char *sql);
    // Fixed SQL without values (DDL, pragmas, BEGIN/COMMIT); may hold several statements.
    void exec(const char *sql);

    std::int64_t lastInsertId() const;
    const QString &file() const { return m_file; }
    sqlite3 *handle() const { return m_db; }
    [[noreturn]] void fail(int rc, const char *sql) const;

private:
    QString m_file;
    sqlite3 *m_db = nullptr;
    std::unordered_map<const char *, sqlite3_stmt *> m_cache;
};

} // namespace imago
