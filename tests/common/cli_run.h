// cli_run.h - runs a built program (imago-cli) the way a user or a script would, for tests:
// its exit code and both outputs, with an optional setup step in the child (resource limits).
#pragma once

#include <QProcess>
#include <QString>
#include <QStringList>

#include <functional>

namespace imago::test {

struct CliRun
{
    int exitCode = -1; // -1: did not start or finish in time; -2: crashed
    QByteArray out, err;
};

inline QString describe(const CliRun &r)
{
    return QStringLiteral("exit %1\nstdout: %2\nstderr: %3")
        .arg(r.exitCode)
        .arg(QString::fromUtf8(r.out), QString::fromUtf8(r.err));
}

// `childSetup` runs in the child between fork and exec (e.g. setrlimit).
inline CliRun runProgram(const QString &program, const QStringList &args,
                         const QProcessEnvironment &env = QProcessEnvironment::systemEnvironment(),
                         const std::function<void()> &childSetup = {}, int timeoutMs = 120000)
{
    QProcess p;
    p.setProcessEnvironment(env);
    if (childSetup)
        p.setChildProcessModifier(childSetup);
    p.start(program, args);
    CliRun r;
    if (!p.waitForStarted(10000) || !p.waitForFinished(timeoutMs)) {
        r.err = "did not run: " + p.errorString().toUtf8();
        return r;
    }
    r.out = p.readAllStandardOutput();
    r.err = p.readAllStandardError();
    r.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -2;
    return r;
}

} // namespace imago::test
