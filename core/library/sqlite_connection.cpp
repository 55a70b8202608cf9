#include "sqlite_connection.h"

#include <QFile>

namespace imago {

SqlQuery::SqlQuery(SqliteConnection &db, sqlite3_stmt *stmt) : m_db(db), m_stmt(stmt) {}

SqlQuery::~SqlQuery()
{
    sqlite3_reset(m_stmt);
    sqlite3_clear_bindings(m_stmt);
}

SqlQuery &SqlQuery::bindInt64(int i, std::int64_t v)
{
    if (const int rc = sqlite3_bind_int64(m_stmt, i, v); rc != SQLITE_OK)
        m_db.fail(rc, sqlite3_sql(m_stmt));
    return *this;
}

SqlQuery &SqlQuery::bindTextOrNull(int i, const QString &v)
{
    return v.isNull() ? bindNull(i) : bind(i, v);
}

SqlQuery &SqlQuery::bind(int i, const QString &v)
{
    const QByteArray utf8 = v.toUtf8();
    if (const int rc =
            sqlite3_bind_text(m_stmt, i, utf8.constData(), int(utf8.size()), SQLITE_TRANSIENT);
        rc != SQLITE_OK)
        m_db.fail(rc, sqlite3_sql(m_stmt));
    return *this;
}

SqlQuery &SqlQuery::bind(int i, const char *latin1)
{
    if (const int rc = sqlite3_bind_text(m_stmt, i, latin1, -1, SQLITE_STATIC); rc != SQLITE_OK)
        m_db.fail(rc, sqlite3_sql(m_stmt));
    return *this;
}

SqlQuery &SqlQuery::bindNull(int i)
{
    if (const int rc = sqlite3_bind_null(m_stmt, i); rc != SQLITE_OK)
        m_db.fail(rc, sqlite3_sql(m_stmt));
    return *this;
}

SqlQuery &SqlQuery::bindBlob(int i, std::span<const std::uint8_t> bytes)
{
    if (const int rc = sqlite3_bind_blob64(m_stmt, i, bytes.data(), bytes.size(), SQLITE_TRANSIENT);
        rc != SQLITE_OK)
        m_db.fail(rc, sqlite3_sql(m_stmt));
    return *this;
}

bool SqlQuery::next()
{
    const int rc = sqlite3_step(m_stmt);
    if (rc == SQLITE_ROW)
        return true;
    if (rc == SQLITE_DONE)
        return false;
    m_db.fail(rc, sqlite3_sql(m_stmt));
}

int SqlQuery::run()
{
    while (next()) {
    }
    return sqlite3_changes(m_db.handle());
}

bool SqlQuery::isNull(int col) const
{
    return sqlite3_column_type(m_stmt, col) == SQLITE_NULL;
}

std::int64_t SqlQuery::int64(int col) const
{
    return sqlite3_column_int64(m_stmt, col);
}

QString SqlQuery::text(int col) const
{
    const auto *p = reinterpret_cast<const char *>(sqlite3_column_text(m_stmt, col));
    if (!p)
        return QString();
    return QString::fromUtf8(p, sqlite3_column_bytes(m_stmt, col));
}

std::span<const std::uint8_t> SqlQuery::blob(int col) const
{
    const auto *p = static_cast<const std::uint8_t *>(sqlite3_column_blob(m_stmt, col));
    return {p, std::size_t(sqlite3_column_bytes(m_stmt, col))};
}

SqliteConnection::SqliteConnection(const QString &file, Mode mode) : m_file(file)
{
    const int flags =
        mode == Mode::ReadOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
    const int rc = sqlite3_open_v2(QFile::encodeName(file).constData(), &m_db,
                                   flags | SQLITE_OPEN_EXRESCODE, nullptr);
    if (rc != SQLITE_OK) {
        const QString msg =
            m_db ? QString::fromUtf8(sqlite3_errmsg(m_db)) : QString::fromUtf8(sqlite3_errstr(rc));
        sqlite3_close(m_db);
        m_db = nullptr;
        throw LibraryError(file, QStringLiteral("cannot open the catalog: %1").arg(msg));
    }
    sqlite3_extended_result_codes(m_db, 1);
}

SqliteConnection::~SqliteConnection()
{
    for (auto &[sql, stmt] : m_cache)
        sqlite3_finalize(stmt);
    // sqlite3_close_v2 defers the close should a statement still be alive (it cannot be here).
    sqlite3_close_v2(m_db);
}

SqlQuery SqliteConnection::query(const char *sql)
{
    auto it = m_cache.find(sql);
    if (it == m_cache.end()) {
        sqlite3_stmt *stmt = nullptr;
        const int rc = sqlite3_prepare_v3(m_db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
        if (rc != SQLITE_OK)
            fail(rc, sql);
        it = m_cache.emplace(sql, stmt).first;
    }
    Q_ASSERT_X(!sqlite3_stmt_busy(it->second), "SqliteConnection::query",
               "a cached statement is already in use (nested use of the same SQL)");
    return SqlQuery(*this, it->second);
}

void SqliteConnection::exec(const char *sql)
{
    char *err = nullptr;
    const int rc = sqlite3_exec(m_db, sql, nullptr, nullptr, &err);
    if (rc != SQLITE_OK) {
        const QString msg = err ? QString::fromUtf8(err) : QString::fromUtf8(sqlite3_errstr(rc));
        sqlite3_free(err);
        throw LibraryError(m_file, QStringLiteral("%1 (in: %2)").arg(msg, QString::fromUtf8(sql)));
    }
}

std::int64_t SqliteConnection::lastInsertId() const
{
    return sqlite3_last_insert_rowid(m_db);
}

void SqliteConnection::fail(int rc, const char *sql) const
{
    QString msg = QString::fromUtf8(sqlite3_errmsg(m_db));
    if (msg.isEmpty() || msg == QLatin1String("not an error"))
        msg = QString::fromUtf8(sqlite3_errstr(rc));
    QString statement = QString::fromUtf8(sql ? sql : "").simplified();
    if (statement.size() > 120)
        statement = statement.left(117) + QStringLiteral("...");
    throw LibraryError(m_file, QStringLiteral("%1 (in: %2)").arg(msg, statement));
}

} // namespace imago
