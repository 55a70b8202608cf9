// The model identity (core/model/model_identity.h) and its cache: the same identity with and
// without the cache, read back from the cache while both files are as they were, computed again
// when either changes, and never in the way when the cache cannot be written.
#include "model_identity.h"

#include <QFile>
#include <QFileInfo>
#include <QTemporaryDir>
#include <QTest>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

using namespace imago::flava;
namespace fs = std::filesystem;

namespace {

const fs::path kRef = IMAGO_SHARED_DIR "/flava-reference";

std::string slurp(const fs::path &p)
{
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

// A writable copy of the reference model's two files.
fs::path copyModel(const QTemporaryDir &tmp)
{
    const fs::path dir = fs::path(tmp.path().toStdString()) / "model";
    fs::create_directories(dir);
    for (const char *name : {"config.json", "model.safetensors"}) {
        fs::copy_file(kRef / name, dir / name);
        fs::permissions(dir / name, fs::perms::owner_read | fs::perms::owner_write);
    }
    return dir;
}

fs::path onlyFileIn(const fs::path &dir)
{
    fs::path found;
    int count = 0;
    for (const auto &e : fs::directory_iterator(dir)) {
        found = e.path();
        ++count;
    }
    return count == 1 ? found : fs::path();
}

} // namespace

class tst_ModelIdentity : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void cachedIdentityIsReadBackUntilAFileChanges()
    {
        QTemporaryDir tmp;
        QVERIFY(tmp.isValid());
        const fs::path model = copyModel(tmp);
        const fs::path cache = fs::path(tmp.path().toStdString()) / "cache";

        const std::string plain = modelIdentity(model);
        QVERIFY(plain.rfind("flava-", 0) == 0);
        QCOMPARE(plain.size(), std::size_t(22));
        QVERIFY(!cachedModelIdentity(model, cache));
        QCOMPARE(modelIdentity(model, cache), plain); // computed, then remembered
        QCOMPARE(cachedModelIdentity(model, cache).value_or(""), plain);

        // While the files are unchanged the cache is what answers: a record edited to another
        // identity is returned as it is.
        const fs::path record = onlyFileIn(cache);
        QVERIFY(!record.empty());
        std::string text = slurp(record);
        const auto at = text.find(plain);
        QVERIFY(at != std::string::npos);
        const std::string other = "flava-0123456789abcdef";
        text.replace(at, plain.size(), other);
        std::ofstream(record, std::ios::binary | std::ios::trunc) << text;
        QCOMPARE(modelIdentity(model, cache), other);

        // Touching config.json (same bytes) is enough to hash again.
        fs::last_write_time(model / "config.json",
                            fs::last_write_time(model / "config.json") + std::chrono::seconds(5));
        QVERIFY(!cachedModelIdentity(model, cache));
        QCOMPARE(modelIdentity(model, cache), plain);

        // Different weights of the same size: a new identity, and the cache follows.
        {
            std::fstream f(model / "model.safetensors",
                           std::ios::binary | std::ios::in | std::ios::out);
            f.seekp(-4, std::ios::end);
            f.write("\x01\x02\x03\x04", 4);
        }
        const std::string changed = modelIdentity(model, cache);
        QVERIFY(changed != plain);
        QCOMPARE(modelIdentity(model), changed);
        QCOMPARE(cachedModelIdentity(model, cache).value_or(""), changed);
    }

    void unusableCacheIsIgnored()
    {
        QTemporaryDir tmp;
        QVERIFY(tmp.isValid());
        const fs::path model = copyModel(tmp);
        // A file where the cache folder should be: nothing can be written there.
        const fs::path blocked = fs::path(tmp.path().toStdString()) / "blocked";
        std::ofstream(blocked) << "not a folder";
        const std::string plain = modelIdentity(model);
        QCOMPARE(modelIdentity(model, blocked), plain);
        QCOMPARE(modelIdentity(model, blocked), plain);
        QVERIFY(!cachedModelIdentity(model, blocked));
        // A garbled record is not trusted.
        const fs::path cache = fs::path(tmp.path().toStdString()) / "cache";
        QCOMPARE(modelIdentity(model, cache), plain);
        std::ofstream(onlyFileIn(cache), std::ios::trunc) << "imago-model-identity 1\njunk\n";
        QVERIFY(!cachedModelIdentity(model, cache));
        QCOMPARE(modelIdentity(model, cache), plain);
    }

    void bothWeightFormatsAndMissingFiles()
    {
        // The torch zip of the same tensors is other bytes: another identity.
        QTemporaryDir tmp;
        QVERIFY(tmp.isValid());
        const fs::path dir = fs::path(tmp.path().toStdString()) / "bin";
        fs::create_directories(dir);
        fs::copy_file(kRef / "config.json", dir / "config.json");
        fs::copy_file(kRef / "pytorch_model.bin", dir / "pytorch_model.bin");
        QVERIFY(modelIdentity(dir) != modelIdentity(kRef));
        fs::remove(dir / "pytorch_model.bin");
        QVERIFY_THROWS_EXCEPTION(std::runtime_error, modelIdentity(dir));
        QVERIFY(!cachedModelIdentity(dir, dir / "cache"));
    }
};

QTEST_GUILESS_MAIN(tst_ModelIdentity)
#include "tst_modelidentity.moc"
