// photo_text_query.h - from what a person typed to FTS5 MATCH expressions over photo_text (the
// full-text index of each photo's file name, folders, camera, keywords, title and description;
// catalog_schema.cpp).
//
//   anyWordsQuery("sunset IMG_2041")  ->  "sunset" OR "IMG_2041"*
//   phraseQuery("paris 2019")         ->  "paris 2019"
//
// Each word becomes one FTS5 string, which the index's own tokenizer (unicode61, diacritics
// removed, case folded) splits exactly as it split the indexed text, so "IMG_2041" is the
// phrase img+2041 (it matches IMG_2041.jpg, not every IMG_ file) and "Zürich" matches
// "zurich". The last word is a prefix (search as you type: "IMG_20" finds IMG_2041.jpg). Words
// that say nothing about a file ("a", "the", "of", "photo", ...) and words without a letter or
// digit are left out; nothing left gives an empty expression, which matches nothing.
//
// Pure functions; thread-safe.
#pragma once

#include <QString>
#include <QStringList>

namespace imago {

// The words of `text` worth looking up (stop words and punctuation dropped), in order.
QStringList searchableWords(const QString &text);

// Any of the words (OR), the last one as a prefix. Empty when no word is worth looking up.
QString anyWordsQuery(const QString &text);

// All of `phrase`'s tokens, adjacent and in order (a quoted term: a hard filter). Empty when
// the phrase has no letter or digit.
QString phraseQuery(const QString &phrase);

} // namespace imago
