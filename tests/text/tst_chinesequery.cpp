// tst_chinesequery.cpp - translateChineseQuery() on everyday photo-search queries.
//
// Each case names the English words (or phrases) the translation must contain, in the order
// they must appear: that order is what the reordering rules ("X上的Y" -> "Y on X") are about.
// Exact strings are not compared, so a better gloss or an added article does not break a test;
// the words an image search depends on do.
#include "chinese_query.h"

#include <QStringList>
#include <QTest>

#include <algorithm>
#include <thread>
#include <vector>

using namespace imago;

namespace {

struct Case
{
    const char *name;
    const char *query;
    const char *required;     // '|'-separated, in output order
    const char *untranslated; // '|'-separated
};

const Case kCases[] = {
    // reorderings
    {"dog on beach", "海滩上的狗", "dog|on|beach", ""},
    {"cat on sofa", "沙发上的猫", "cat|on|sofa", ""},
    {"fish in water", "水里的鱼", "fish|in|water", ""},
    {"dog in snow", "雪中的狗", "dog|in|snow", ""},
    {"bird in sky", "天空中的鸟", "bird|in|sky", ""},
    {"dog beside sofa", "沙发旁边的狗", "dog|beside|sofa", ""},
    {"cat under tree", "树下的猫", "cat|under|tree", ""},
    {"car in front of house", "房子前的车", "car|in front of|house", ""},
    {"boat on lake", "湖上的小船", "boat|on|lake", ""},
    {"hot pot on table", "桌子上的火锅", "hot pot|on|table", ""},
    {"candles on cake", "生日蛋糕上的蜡烛", "candle|on|birthday cake", ""},
    {"puppy on grass", "草地上的白色小狗", "white puppy|on|grass", ""},
    {"dog running on beach", "狗在海滩上跑", "dog|running|on|beach", ""},
    {"children playing at seaside", "在海边玩的孩子", "child|playing|at|seaside", ""},
    {"kids playing soccer", "两个孩子在草地上踢足球", "two children|playing soccer|on|grass", ""},
    {"children playing in snow", "孩子们在雪地里玩", "children|playing|in|snow", ""},
    {"girl in red", "穿红衣服的女孩", "girl|wearing|red|clothes", ""},
    {"man on bicycle", "骑自行车的男人", "man|riding|bicycle", ""},
    {"couple watching sunset", "情侣在海边看日落", "couple|sunset|seaside", ""},
    {"mother holding baby", "妈妈抱着宝宝", "mother|holding|baby", ""},
    {"family at park", "一家人在公园", "family|at|park", ""},
    // modifiers keep their order
    {"red car", "红色的车", "red car", ""},
    {"black cat", "一只黑色的猫", "black cat", ""},
    {"snowy street", "下雪的街道", "snowy|street", ""},
    {"rainy day", "下雨天", "rainy day", ""},
    {"autumn leaves", "秋天的枫叶", "autumn|maple leaves", ""},
    {"winter snowman", "冬天的雪人", "winter|snowman", ""},
    {"night city", "晚上的城市", "night|city", ""},
    {"mountain sunrise", "山顶的日出", "mountain top|sunrise", ""},
    {"rainbow after rain", "雨后的彩虹", "after rain|rainbow", ""},
    {"lakeside house", "湖边的房子", "lakeside|house", ""},
    // single words and compounds
    {"sunset", "日落", "sunset", ""},
    {"beach sunset", "海滩日落", "beach|sunset", ""},
    {"birthday party", "生日派对", "birthday party", ""},
    {"kitty", "猫咪", "cat", ""},
    {"wedding", "婚礼", "wedding", ""},
    {"graduation", "毕业典礼", "graduation ceremony", ""},
    {"christmas tree", "圣诞树", "Christmas tree", ""},
    {"new year fireworks", "春节的烟花", "Chinese New Year|fireworks", ""},
    {"mid-autumn moon", "中秋节的月亮", "Mid-Autumn Festival|moon", ""},
    {"cherry blossom", "樱花", "cherry blossom", ""},
    {"panda", "熊猫", "panda", ""},
    {"great wall", "长城", "Great Wall", ""},
    // numbers and plurals
    {"two children", "两个孩子", "two children", ""},
    {"three puppies", "三只小狗", "three puppies", ""},
    {"many people", "很多人", "many people", ""},
    {"flock of sheep", "一群羊", "sheep", ""},
    {"digits and measure", "3只猫", "3 cats", ""},
    {"year", "2023年的春节", "2023|Chinese New Year", ""},
    // conjunctions and punctuation
    {"grandparents", "爷爷和奶奶", "grandfather|and|grandmother", ""},
    {"enumeration comma", "猫、狗和鸟", "cat|and|dog|and|bird", ""},
    {"full-width comma", "猫，狗", "cat|dog", ""},
    {"full-width space", "海滩　日落", "beach|sunset", ""},
    {"punctuation after english", "dog。 海滩", "dog|beach", ""},
    // negative terms
    {"negative person", "海滩 -人", "beach|-person", ""},
    {"negative phrase quoted", "公园 -红色的车", "park|-\"red car\"", ""},
    {"negative english kept", "海滩 -people", "beach|-people", ""},
    {"negative crowd", "日落 -人群", "sunset|-crowd", ""},
    // mixed Chinese and English, quoted phrases
    {"english head noun", "海滩上的 dog", "dog|on|beach", ""},
    {"english subject", "cat 在沙发上", "cat|on|sofa", ""},
    {"english and chinese words", "golden retriever 在草地上", "golden retriever|on|grass", ""},
    {"quoted literal kept", "\"IMG_2041\" 日落", "\"IMG_2041\"|sunset", ""},
    {"quoted han translated", "\"生日蛋糕\"", "\"birthday cake\"", ""},
    {"curly quotes translated", "“海边”", "\"seaside\"", ""},
    // unknown words are reported and left out
    {"unknown word", "海滩上的龘", "on|beach", "龘"},
    {"unknown between known", "狗和龘龘和猫", "dog|and|cat", "龘龘"},
};

QStringList splitList(const char *s)
{
    return QString::fromUtf8(s).split(u'|', Qt::SkipEmptyParts);
}

// The position just past `needle` as a whole word (or phrase) in `text` at or after `from`;
// -1 when absent.
qsizetype findWord(const QString &text, const QString &needle, qsizetype from)
{
    const QString padded = u' ' + text + u' ';
    const qsizetype at = padded.indexOf(u' ' + needle + u' ', from);
    return at < 0 ? -1 : at + needle.size() + 1;
}

bool hasHan(const QString &s)
{
    return std::any_of(s.cbegin(), s.cend(), [](QChar c) {
        return (c.unicode() >= 0x4E00 && c.unicode() <= 0x9FFF) || c.isSurrogate();
    });
}

} // namespace

class tst_ChineseQuery : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    // First, so that its threads race for the lazily loaded word list.
    void severalThreads();
    void translates_data();
    void translates();
    void nonHanUnchanged_data();
    void nonHanUnchanged();
    void emptyQuery();
    void hanWordsOfThePositivePart();
    void onlyUnknownWords();
    void containsHan_data();
    void containsHan();
};

void tst_ChineseQuery::translates_data()
{
    QTest::addColumn<QString>("query");
    QTest::addColumn<QStringList>("required");
    QTest::addColumn<QStringList>("untranslated");
    for (const Case &c : kCases) {
        QTest::newRow(c.name) << QString::fromUtf8(c.query) << splitList(c.required)
                              << splitList(c.untranslated);
    }
}

void tst_ChineseQuery::translates()
{
    QFETCH(QString, query);
    QFETCH(QStringList, required);
    QFETCH(QStringList, untranslated);

    const QueryTranslation t = translateChineseQuery(query);
    QVERIFY(t.translated);
    QVERIFY2(!hasHan(t.text), qPrintable(t.text));
    qsizetype pos = 0;
    for (const QString &word : required) {
        const qsizetype next = findWord(t.text, word, pos);
        QVERIFY2(next >= 0, qPrintable(QStringLiteral("\"%1\" lacks \"%2\" (in this order: %3)")
                                           .arg(t.text, word, required.join(u'|'))));
        pos = next;
    }
    QCOMPARE(t.untranslated, untranslated);
    QCOMPARE(t.text, t.text.simplified());
    QVERIFY2(!t.text.contains(QLatin1String("and and")), qPrintable(t.text));
}

void tst_ChineseQuery::nonHanUnchanged_data()
{
    QTest::addColumn<QString>("query");
    QTest::newRow("english") << QStringLiteral("dog on the beach");
    QTest::newRow("spacing kept") << QStringLiteral("  sunset   beach ");
    QTest::newRow("negative") << QStringLiteral("beach -people");
    QTest::newRow("quoted file name") << QStringLiteral("\"IMG_2041.jpg\"");
    QTest::newRow("digits") << QStringLiteral("2023");
    QTest::newRow("kana") << QStringLiteral("ねこ");
    QTest::newRow("hangul") << QStringLiteral("고양이");
    QTest::newRow("cjk punctuation only") << QStringLiteral("，。“”");
}

void tst_ChineseQuery::nonHanUnchanged()
{
    QFETCH(QString, query);
    const QueryTranslation t = translateChineseQuery(query);
    QCOMPARE(t.text, query);
    QVERIFY(!t.translated);
    QVERIFY(t.untranslated.isEmpty());
}

void tst_ChineseQuery::hanWordsOfThePositivePart()
{
    const auto t = imago::translateChineseQuery(QStringLiteral("海滩上的狗 -人 \"日落\""));
    QCOMPARE(t.hanWords, (QStringList{QStringLiteral("海滩"), QStringLiteral("上"),
                                      QStringLiteral("的"), QStringLiteral("狗")}));
    QCOMPARE(imago::translateChineseQuery(QStringLiteral("两只猫")).hanWords,
             (QStringList{QStringLiteral("只"), QStringLiteral("猫")})); // no numbers
    QVERIFY(imago::translateChineseQuery(QStringLiteral("a dog")).hanWords.isEmpty());
}

void tst_ChineseQuery::emptyQuery()
{
    const QueryTranslation t = translateChineseQuery(QString());
    QVERIFY(t.text.isEmpty());
    QVERIFY(!t.translated);
    QVERIFY(t.untranslated.isEmpty());
}

void tst_ChineseQuery::onlyUnknownWords()
{
    // Nothing known: the query comes back as typed, and the caller learns what was not read.
    const QString query = QStringLiteral("龘 𠀀");
    const QueryTranslation t = translateChineseQuery(query);
    QVERIFY(!t.translated);
    QCOMPARE(t.text, query);
    QCOMPARE(t.untranslated, QStringList({QStringLiteral("龘"), QStringLiteral("𠀀")}));
}

void tst_ChineseQuery::containsHan_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<bool>("expected");
    QTest::newRow("empty") << QString() << false;
    QTest::newRow("english") << QStringLiteral("dog") << false;
    QTest::newRow("han") << QStringLiteral("狗") << true;
    QTest::newRow("mixed") << QStringLiteral("golden 狗") << true;
    QTest::newRow("extension B") << QStringLiteral("𠀀") << true;
    QTest::newRow("compatibility ideograph") << QString(QChar(0xF900)) << true;
    QTest::newRow("kana") << QStringLiteral("ねこ") << false;
    QTest::newRow("cjk punctuation") << QStringLiteral("，。") << false;
    QTest::newRow("full-width latin") << QStringLiteral("ＡＢＣ") << false;
}

void tst_ChineseQuery::containsHan()
{
    QFETCH(QString, text);
    QFETCH(bool, expected);
    QCOMPARE(imago::containsHan(text), expected);
}

void tst_ChineseQuery::severalThreads()
{
    // Runs first (see the slot list): the threads' first calls race to load the word list.
    std::vector<QString> queries;
    for (const Case &c : kCases)
        queries.push_back(QString::fromUtf8(c.query));
    constexpr int kThreads = 8;
    constexpr int kRounds = 20;
    std::vector<std::vector<QString>> results(kThreads);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            for (int round = 0; round < kRounds; ++round) {
                for (const QString &q : queries) {
                    const QueryTranslation r = translateChineseQuery(q);
                    if (round == 0)
                        results[t].push_back(r.text + u'\n' + r.untranslated.join(u','));
                }
            }
        });
    }
    for (std::thread &th : threads)
        th.join();
    for (std::size_t i = 0; i < queries.size(); ++i) {
        const QueryTranslation r = translateChineseQuery(queries[i]);
        const QString expected = r.text + u'\n' + r.untranslated.join(u',');
        for (int t = 0; t < kThreads; ++t)
            QCOMPARE(results[t][i], expected);
    }
}

QTEST_GUILESS_MAIN(tst_ChineseQuery)
#include "tst_chinesequery.moc"
