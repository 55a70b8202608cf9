// OMP_WAIT_POLICY=PASSIVE must reach libgomp when it starts, before main() (app/passive_openmp.cpp
// lends it an environment entry; runtime.h's ensurePassiveOpenMp gives it back). Checked the
// way libgomp itself reports it: imago-cli runs with OMP_DISPLAY_ENV=VERBOSE, which makes every
// libgomp start print its settings to stderr; GOMP_SPINCOUNT '0' is the passive policy, the
// default spins. One block means one start: no re-execution.

#include "cli_run.h"

#include <QProcessEnvironment>
#include <QRegularExpression>
#include <QTest>

namespace {

struct OpenMpStarts
{
    QStringList spinCounts; // one per libgomp start, in order
    QStringList waitPolicies;
};

OpenMpStarts parseDisplay(const QByteArray &err)
{
    OpenMpStarts s;
    const QString text = QString::fromUtf8(err);
    static const QRegularExpression spin(QStringLiteral("GOMP_SPINCOUNT = '([0-9]+)'"));
    static const QRegularExpression policy(QStringLiteral("OMP_WAIT_POLICY = '([A-Z]+)'"));
    for (auto it = spin.globalMatch(text); it.hasNext();)
        s.spinCounts << it.next().captured(1);
    for (auto it = policy.globalMatch(text); it.hasNext();)
        s.waitPolicies << it.next().captured(1);
    return s;
}

QProcessEnvironment bareEnvironment()
{
    QProcessEnvironment env; // nothing inherited: only what each case puts in
    env.insert(QStringLiteral("PATH"), QStringLiteral("/usr/bin:/bin"));
    env.insert(QStringLiteral("OMP_DISPLAY_ENV"), QStringLiteral("VERBOSE"));
    return env;
}

imago::test::CliRun runCli(const QStringList &args, const QProcessEnvironment &env)
{
    return imago::test::runProgram(QStringLiteral(IMAGO_CLI), args, env);
}

} // namespace

class TestPassiveOpenMp : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void lentEntryStartsOpenMpPassive_data();
    void lentEntryStartsOpenMpPassive();
    void usersPolicyStands();
    void withoutSpareEntryReexecutesOnlyForModelVerbs();
};

void TestPassiveOpenMp::lentEntryStartsOpenMpPassive_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<QStringList>("args");
    // The shell's "_", OLDPWD and SHLVL are the entries the hook may borrow.
    for (const char *name : {"_", "OLDPWD", "SHLVL"}) {
        QTest::addRow("%s, --version", name)
            << QString::fromLatin1(name) << QStringList{QStringLiteral("--version")};
        // A verb that runs the model (here it stops at its missing arguments, after main()
        // has decided whether to re-execute).
        QTest::addRow("%s, search", name)
            << QString::fromLatin1(name) << QStringList{QStringLiteral("search")};
    }
}

void TestPassiveOpenMp::lentEntryStartsOpenMpPassive()
{
    QFETCH(QString, name);
    QFETCH(QStringList, args);
    QProcessEnvironment env = bareEnvironment();
    env.insert(name, QStringLiteral("/some/value"));
    const auto r = runCli(args, env);
    QVERIFY2(r.exitCode == 0 || r.exitCode == 2, qPrintable(imago::test::describe(r)));
    const OpenMpStarts starts = parseDisplay(r.err);
    QCOMPARE(starts.spinCounts, QStringList{QStringLiteral("0")});
    QCOMPARE(starts.waitPolicies, QStringList{QStringLiteral("PASSIVE")});
    if (args.first() == QLatin1String("--version"))
        QVERIFY2(r.out.startsWith("imago-cli "), r.out.constData());
    else
        QVERIFY2(r.err.contains("search"), r.err.constData()); // its usage error, not a crash
}

void TestPassiveOpenMp::usersPolicyStands()
{
    QProcessEnvironment env = bareEnvironment();
    env.insert(QStringLiteral("_"), QStringLiteral("/usr/bin/imago-cli"));
    env.insert(QStringLiteral("OMP_WAIT_POLICY"), QStringLiteral("ACTIVE"));
    const auto r = runCli({QStringLiteral("search")}, env);
    const OpenMpStarts starts = parseDisplay(r.err);
    QCOMPARE(starts.waitPolicies, QStringList{QStringLiteral("ACTIVE")});
    QCOMPARE(starts.spinCounts.size(), 1);
    QVERIFY2(starts.spinCounts.first() != QLatin1String("0"), r.err.constData());
}

void TestPassiveOpenMp::withoutSpareEntryReexecutesOnlyForModelVerbs()
{
    const QProcessEnvironment env = bareEnvironment(); // no "_", OLDPWD or SHLVL to lend
    // A verb that runs the model re-executes once; the second start is passive.
    const auto search = runCli({QStringLiteral("search")}, env);
    const OpenMpStarts twice = parseDisplay(search.err);
    QCOMPARE(twice.spinCounts.size(), 2);
    QVERIFY2(twice.spinCounts.first() != QLatin1String("0"), search.err.constData());
    QCOMPARE(twice.spinCounts.last(), QStringLiteral("0"));
    QVERIFY2(search.exitCode == 2, qPrintable(imago::test::describe(search)));
    // A light verb runs no OpenMP work and does not pay for a second start.
    const auto version = runCli({QStringLiteral("--version")}, env);
    QCOMPARE(version.exitCode, 0);
    QCOMPARE(parseDisplay(version.err).spinCounts.size(), 1);
}

QTEST_GUILESS_MAIN(TestPassiveOpenMp)
#include "tst_passiveopenmp.moc"
