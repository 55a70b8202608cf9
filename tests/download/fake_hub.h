// fake_hub.h - a tiny HTTP/1.1 server on 127.0.0.1 that answers like the Hugging Face Hub:
// /{repo}/resolve/{rev}/{file} with HEAD and GET, byte ranges (206), LFS files redirected to
// /cdn/... with X-Linked-Size / X-Linked-Etag (sha256), plain files with a sha1 ETag. Faults can
// be injected per file: drop the connection after N body bytes, flip one byte, answer a status.
// One connection per request (Connection: close). Lives on the test's thread.
#pragma once

#include <QByteArray>
#include <QHash>
#include <QList>
#include <QObject>
#include <QString>
#include <QTcpServer>

class FakeHub : public QObject
{
    Q_OBJECT
public:
    struct Request
    {
        QString method, path;
        QByteArray range;
    };
    struct Fault
    {
        qint64 dropAfter = -1; // close after this many body bytes (once)
        qint64 corruptAt = -1; // flip this byte of the body (every time)
        int status = 0;        // answer this status instead (every time)
    };

    explicit FakeHub(QObject *parent = nullptr);
    QString endpoint() const;

    // Serves `localFile` as {repo}/resolve/main/{name}; lfs: redirect + X-Linked-* headers.
    void addFile(const QString &repo, const QString &name, const QString &localFile, bool lfs);
    QHash<QString, Fault> faults; // by file name
    QList<Request> requests;
    qint64 bodyBytesSent = 0;

private:
    struct Entry
    {
        QByteArray bytes;
        bool lfs = false;
        QByteArray sha256, sha1;
    };
    void onConnection();
    void respond(class QTcpSocket *socket, const QByteArray &head);

    QTcpServer m_server;
    QHash<QString, Entry> m_files; // "repo/name"
};
