// config.json parsing with Hugging Face's rules.
#include "checkpoint_error.h"
#include "flava_config.h"

#include <QTest>

using namespace imago::flava;

class tst_FlavaConfig : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void emptyConfigIsFlavaFull()
    {
        const auto c = FlavaConfig::fromJson("{}", "test");
        QCOMPARE(c.image.hiddenSize, 768);
        QCOMPARE(c.image.numHiddenLayers, 12);
        QCOMPARE(c.image.numAttentionHeads, 12);
        QCOMPARE(c.image.intermediateSize, 3072);
        QCOMPARE(c.image.imageSize, 224);
        QCOMPARE(c.image.patchSize, 16);
        QCOMPARE(c.image.numPatches(), 196);
        QCOMPARE(c.text.vocabSize, 30522);
        QCOMPARE(c.text.maxPositionEmbeddings, 512);
        QCOMPARE(c.multimodal.numHiddenLayers, 6);
        QVERIFY(c.multimodal.useClsToken);
        QCOMPARE(c.projectionDim, 768);
        QCOMPARE(c.hiddenSize, 768);
        QCOMPARE(c.image.layerNormEps, 1e-12);
        QVERIFY(c.image.hiddenAct == Activation::Gelu);
    }

    void referenceConfigUsesEveryWidth()
    {
        const auto c = FlavaConfig::fromFile(IMAGO_SHARED_DIR "/flava-reference/config.json");
        QCOMPARE(c.image.hiddenSize, 48);
        QCOMPARE(c.image.numHiddenLayers, 2);
        QCOMPARE(c.image.intermediateSize, 192);
        QCOMPARE(c.image.imageSize, 32);
        QCOMPARE(c.image.patchSize, 8);
        QCOMPARE(c.text.hiddenSize, 32);
        QCOMPARE(c.text.vocabSize, 1000);
        QCOMPARE(c.text.maxPositionEmbeddings, 64);
        QCOMPARE(c.multimodal.hiddenSize, 40);
        QCOMPARE(c.multimodal.intermediateSize, 160);
        QCOMPARE(c.hiddenSize, 40);
        QCOMPARE(c.projectionDim, 24);
    }

    void toyConfig()
    {
        const auto c = FlavaConfig::fromFile(IMAGO_SHARED_DIR "/flava-toy/config.json");
        QCOMPARE(c.image.hiddenSize, 128);
        QCOMPARE(c.image.numHiddenLayers, 4);
        QCOMPARE(c.image.imageSize, 64);
        QCOMPARE(c.text.hiddenSize, 96);
        QCOMPARE(c.text.vocabSize, 207);
        QCOMPARE(c.text.maxPositionEmbeddings, 32);
        QCOMPARE(c.projectionDim, 64);
    }

    void legacyDictWins()
    {
        const auto c = FlavaConfig::fromJson(
            R"({"image_config": {"hidden_size": 64, "num_attention_heads": 4, "patch_size": 8},
                "image_config_dict": {"hidden_size": 32, "some_unknown_key": {"nested": [1]}},
                "text_config": {"hidden_act": "gelu_new", "id2label": {"0": "A"}},
                "projection_dim": 16, "unknown_top_level": "x"})",
            "test");
        QCOMPARE(c.image.hiddenSize, 32);      // from *_config_dict
        QCOMPARE(c.image.numAttentionHeads, 4); // from *_config, not overridden
        QCOMPARE(c.image.patchSize, 8);
        QVERIFY(c.text.hiddenAct == Activation::GeluTanh);
        QCOMPARE(c.projectionDim, 16);
    }

    void nullKeepsDefault()
    {
        const auto c = FlavaConfig::fromJson(R"({"text_config": null, "image_config": {"image_size": null}})", "t");
        QCOMPARE(c.image.imageSize, 224);
    }

    void badConfigsAreRefused_data()
    {
        QTest::addColumn<QString>("json");
        QTest::addColumn<QString>("expected");
        QTest::newRow("not json") << "{" << "not valid JSON";
        QTest::newRow("not an object") << "[1]" << "not a JSON object";
        QTest::newRow("section not an object") << R"({"image_config": 3})"
                                               << "image_config must be a JSON object";
        QTest::newRow("string width") << R"({"text_config": {"hidden_size": "768"}})"
                                      << "text_config.hidden_size: must be an integer";
        QTest::newRow("zero layers") << R"({"image_config": {"num_hidden_layers": 0}})"
                                     << "image_config.num_hidden_layers: value 0 is out of range";
        QTest::newRow("heads do not divide")
            << R"({"image_config": {"hidden_size": 100, "num_attention_heads": 12}})"
            << "not divisible by num_attention_heads";
        QTest::newRow("patch does not divide") << R"({"image_config": {"patch_size": 15}})"
                                               << "not a multiple of patch_size";
        QTest::newRow("itm width") << R"({"hidden_size": 512})"
                                   << "must equal multimodal_config.hidden_size";
        QTest::newRow("unknown activation") << R"({"text_config": {"hidden_act": "swish9"}})"
                                            << "unsupported activation 'swish9'";
        QTest::newRow("huge width") << R"({"image_config": {"hidden_size": 99999999999}})"
                                    << "out of range";
    }

    void badConfigsAreRefused()
    {
        QFETCH(QString, json);
        QFETCH(QString, expected);
        try {
            FlavaConfig::fromJson(json.toStdString(), "/some/config.json");
            QFAIL("no error");
        } catch (const CheckpointError &e) {
            const QString what = QString::fromUtf8(e.what());
            QVERIFY2(what.contains(expected), qPrintable(what));
            QVERIFY(what.startsWith(QStringLiteral("/some/config.json")));
        }
    }
};

QTEST_GUILESS_MAIN(tst_FlavaConfig)
#include "tst_flavaconfig.moc"
