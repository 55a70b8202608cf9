#include "fake_hub.h"

#include <QCryptographicHash>
#include <QFile>
#include <QRegularExpression>
#include <QTcpSocket>

FakeHub::FakeHub(QObject *parent) : QObject(parent)
{
    connect(&m_server, &QTcpServer::newConnection, this, &FakeHub::onConnection);
    if (!m_server.listen(QHostAddress::LocalHost, 0))
        qFatal("FakeHub cannot listen: %s", qPrintable(m_server.errorString()));
}

QString FakeHub::endpoint() const
{
    return QStringLiteral("http://127.0.0.1:%1").arg(m_server.serverPort());
}

void FakeHub::addFile(const QString &repo, const QString &name, const QString &localFile, bool lfs)
{
    QFile f(localFile);
    if (!f.open(QIODevice::ReadOnly))
        qFatal("FakeHub cannot read %s", qPrintable(localFile));
    Entry e;
    e.bytes = f.readAll();
    e.lfs = lfs;
    e.sha256 = QCryptographicHash::hash(e.bytes, QCryptographicHash::Sha256).toHex();
    e.sha1 = QCryptographicHash::hash(e.bytes, QCryptographicHash::Sha1).toHex();
    m_files.insert(repo + QLatin1Char('/') + name, e);
}

void FakeHub::onConnection()
{
    while (QTcpSocket *socket = m_server.nextPendingConnection()) {
        auto buffer = std::make_shared<QByteArray>();
        connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
        connect(socket, &QTcpSocket::readyRead, this, [this, socket, buffer] {
            buffer->append(socket->readAll());
            const qsizetype end = buffer->indexOf("\r\n\r\n");
            if (end >= 0) {
                const QByteArray head = buffer->left(end);
                buffer->clear();
                respond(socket, head);
            }
        });
    }
}

void FakeHub::respond(QTcpSocket *socket, const QByteArray &head)
{
    const QList<QByteArray> lines = head.split('\n');
    const QList<QByteArray> first = lines.value(0).trimmed().split(' ');
    Request req{QString::fromLatin1(first.value(0)), QString::fromLatin1(first.value(1)), {}};
    for (const QByteArray &l : lines)
        if (l.toLower().startsWith("range:"))
            req.range = l.mid(6).trimmed();
    requests.append(req);

    auto send = [&](int status, const QByteArray &reason, QList<QByteArray> headers,
                    const QByteArray &body, qint64 length) {
        QByteArray out = "HTTP/1.1 " + QByteArray::number(status) + ' ' + reason + "\r\n";
        headers << "Content-Length: " + QByteArray::number(length) << "Connection: close";
        for (const QByteArray &h : headers)
            out += h + "\r\n";
        out += "\r\n";
        if (req.method != QLatin1String("HEAD")) {
            out += body;
            bodyBytesSent += body.size();
        }
        socket->write(out);
        socket->disconnectFromHost();
    };

    // /{owner}/{name}/resolve/{rev}/{file} or /cdn/{owner}/{name}/{file}
    static const QRegularExpression resolve(QStringLiteral("^/([^/]+/[^/]+)/resolve/[^/]+/(.+)$"));
    static const QRegularExpression cdn(QStringLiteral("^/cdn/([^/]+/[^/]+)/(.+)$"));
    auto m = resolve.match(req.path);
    const bool viaCdn = !m.hasMatch();
    if (viaCdn)
        m = cdn.match(req.path);
    const QString key = m.hasMatch() ? m.captured(1) + QLatin1Char('/') + m.captured(2) : QString();
    const QString name = m.captured(2);
    const Fault fault = faults.value(name);
    if (fault.status)
        return send(fault.status, "Injected", {}, "injected failure", 16);
    if (!m_files.contains(key))
        return send(404, "Not Found", {"X-Error-Code: EntryNotFound"}, "Entry not found", 15);
    const Entry &e = m_files[key];
    if (e.lfs && !viaCdn)
        return send(302, "Found",
                    {"Location: /cdn/" + key.toUtf8(),
                     "X-Linked-Size: " + QByteArray::number(e.bytes.size()),
                     "X-Linked-Etag: \"" + e.sha256 + '"', "ETag: \"" + e.sha256 + '"'},
                    {}, 0);
    QByteArray body = e.bytes;
    if (fault.corruptAt >= 0 && fault.corruptAt < body.size())
        body[fault.corruptAt] = char(body[fault.corruptAt] ^ 0x5a);
    const QByteArray etag = "ETag: \"" + (e.lfs ? e.sha256 : e.sha1) + '"';
    qint64 from = 0;
    static const QRegularExpression range(QStringLiteral("^bytes=(\\d+)-$"));
    const auto r = range.match(QString::fromLatin1(req.range));
    if (r.hasMatch()) {
        from = r.captured(1).toLongLong();
        if (from >= body.size())
            return send(416, "Range Not Satisfiable", {}, {}, 0);
    }
    QByteArray slice = body.mid(from);
    const qint64 length = slice.size();
    if (fault.dropAfter >= 0 && req.method == QLatin1String("GET")) {
        slice.truncate(fault.dropAfter);
        faults[name].dropAfter = -1; // once
    }
    if (r.hasMatch())
        return send(206, "Partial Content",
                    {etag, "Content-Range: bytes " + QByteArray::number(from) + '-' +
                               QByteArray::number(body.size() - 1) + '/' +
                               QByteArray::number(body.size())},
                    slice, length);
    send(200, "OK", {etag}, slice, length);
}
