#include "sqlite_connection.h"

#include <QFile>
#include <QFileInfo>
#include <QUrl>

#include <cerrno>
#include <sys/resource.h>
#include <sys/statvfs.h>
#include <unistd.h>

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

namespace {

// The failures a desktop app meets, in words a person can act on; SQLite's own message follows
// in parentheses. Empty for the rest (SQLite's message says it). The system errno is only
// consulted for I/O-class results: it keeps the last failed call's value.
QString plainCause(int rc, int systemErrno)
{
    const int primary = rc & 0xff;
    const bool io = primary == SQLITE_IOERR || primary == SQLITE_FULL ||
                    primary == SQLITE_CANTOPEN || primary == SQLITE_READONLY;
    if (primary == SQLITE_FULL || (io && (systemErrno == ENOSPC || systemErrno == EDQUOT)))
        return QStringLiteral("the disk is full");
    if (io && systemErrno == EFBIG)
        return QStringLiteral("the file size limit was reached");
    if (primary == SQLITE_READONLY ||
        (io && (systemErrno == EROFS || systemErrno == EACCES || systemErrno == EPERM)))
        return QStringLiteral("the library folder is read-only or not writable");
    if (primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB)
        return QStringLiteral("the catalog file is damaged");
    return {};
}

// SQLite does not always keep the errno of a failed write (a short write is retried and the
// errno of the retry lost): look at the folder's free space and the process's file-size limit.
QString writeFailureCause(const QString &file)
{
    const QByteArray folder = QFile::encodeName(QFileInfo(file).absolutePath());
    struct statvfs fs = {};
    if (::statvfs(folder.constData(), &fs) == 0 &&
        std::uint64_t(fs.f_bavail) * fs.f_frsize < (std::uint64_t(1) << 20))
        return QStringLiteral("the disk is full");
    rlimit limit = {};
    if (::getrlimit(RLIMIT_FSIZE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY) {
        for (const QString &f :
             {file, file + QStringLiteral("-wal"), file + QStringLiteral("-journal")})
            if (QFileInfo(f).size() + 65536 >= qint64(limit.rlim_cur))
                return QStringLiteral("the file size limit was reached");
    }
    return {};
}

QString withCause(const QString &message, int rc, sqlite3 *db, const QString &file)
{
    QString cause = plainCause(rc, db ? sqlite3_system_errno(db) : 0);
    if (cause.isEmpty() && ((rc & 0xff) == SQLITE_IOERR))
        cause = writeFailureCause(file);
    return cause.isEmpty() ? message : QStringLiteral("%1 (%2)").arg(cause, message);
}

} // namespace

SqliteConnection::SqliteConnection(const QString &file, Mode mode) : m_file(file)
{
    const int flags =
        mode == Mode::ReadOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
    // Reading a WAL database needs its -shm file, which SQLite cannot create in a folder we
    // may not write (another user's library, a read-only share). With no -wal file there is no
    // writer at work (a WAL writer keeps one), so the file can be read as immutable.
    QByteArray name = QFile::encodeName(file);
    int uriFlag = 0;
    const QString folder = QFileInfo(file).absolutePath();
    if (mode == Mode::ReadOnly && ::access(QFile::encodeName(folder).constData(), W_OK) != 0 &&
        !QFileInfo::exists(file + QStringLiteral("-wal")) &&
        !QFileInfo::exists(file + QStringLiteral("-shm"))) {
        name = QUrl::fromLocalFile(QFileInfo(file).absoluteFilePath()).toEncoded() + "?immutable=1";
        uriFlag = SQLITE_OPEN_URI;
    }
    const int rc =
        sqlite3_open_v2(name.constData(), &m_db, flags | uriFlag | SQLITE_OPEN_EXRESCODE, nullptr);
    if (rc != SQLITE_OK) {
        const QString msg = withCause(m_db ? QString::fromUtf8(sqlite3_errmsg(m_db))
                                           : QString::fromUtf8(sqlite3_errstr(rc)),
                                      rc, m_db, file);
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
        const QString msg = withCause(
            err ? QString::fromUtf8(err) : QString::fromUtf8(sqlite3_errstr(rc)), rc, m_db, m_file);
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
    msg = withCause(msg, rc, m_db, m_file);
    QString statement = QString::fromUtf8(sql ? sql : "").simplified();
    if (statement.size() > 120)
        statement = statement.left(117) + QStringLiteral("...");
    throw LibraryError(m_file, QStringLiteral("%1 (in: %2)").arg(msg, statement));
}

} // namespace imago
