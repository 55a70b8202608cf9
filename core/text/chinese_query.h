// chinese_query.h - offline Chinese -> English translation of photo-search queries.
//
// FLAVA reads English only, so a query such as "海滩上的狗" is turned into "dog on beach"
// before it is embedded. This is not machine translation: it is a word list plus the handful
// of word-order rules photo queries need.
//
// How:
//  1. The query is split into terms the search engine understands: quoted phrases ("..." or
//     “...”), negative terms (a whitespace-separated word starting with '-') and the rest.
//     A quoted phrase or negative term without Han passes through untouched; one with Han is
//     translated on its own (a negative that becomes several words is written -"red car").
//  2. Each run of CJK ideographs is segmented by a DP over the dictionary: fewest words, an
//     unknown character costing more than a word, ties going to the longer first word
//     (forward maximum matching's preference). The dictionary is resources/text/
//     zh_en_photo.tsv (about 750 everyday photo words, one gloss each, a CC-CEDICT subset made
//     by tools/make_cedict_subset.py) plus the grammar words defined in chinese_query.cpp:
//     function words (dropped), numerals and measure words ("两个" -> "two", plural noun),
//     location words (上 on, 里/中 in, 旁边 beside, 下 under, 前 in front of, ...), 在, 的, 和.
//  3. The words are arranged into English: "X上的Y" -> "Y on X", "在X玩的Y" -> "Y playing at
//     X", "红色的车" -> "red car", "狗在海滩上跑" -> "dog running on beach". Words that are
//     not Han (English, digits, file names) pass through unchanged.
// Han words the dictionary does not know are left out of the text and listed in
// `untranslated`, so the caller can tell the user what was ignored.
//
// The word list is compiled in as the Qt resource :/imago/text/zh_en_photo.tsv (the
// chinese_query.qrc of imago_text) and read the first time it is needed.
//
// Threading: both functions are pure and may be called from any thread at once; the word list
// is loaded once (thread-safe static initialisation) and never changes afterwards.
#pragma once

#include <QString>
#include <QStringList>

namespace imago {

struct QueryTranslation
{
    QString text;             // the query to embed: English; == input when nothing was translated
    bool translated = false;  // true when at least one Han word was recognised
    QStringList untranslated; // Han words the dictionary did not know (kept out of `text`)
    // The Han words of the query's positive part as segmented (known, grammar and unknown
    // ones, no numbers), in order, each once: "海滩上的狗" -> 海滩, 上, 的, 狗. For looking the
    // words up where they are written in Chinese (a photo's keywords).
    QStringList hanWords;
};

// True when `text` contains a CJK ideograph (the blocks of unicode::isCjkIdeograph: not kana,
// not Hangul, not CJK punctuation).
bool containsHan(const QString &text);

// Translates the Han parts of `query`. Without Han, or when no Han word is known, `text` is
// `query` itself and `translated` is false. Otherwise `text` is the English query with single
// spaces; it may be empty when the query held only grammar words (such as "的").
QueryTranslation translateChineseQuery(const QString &query);

} // namespace imago
