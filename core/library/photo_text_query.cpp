#include "photo_text_query.h"

#include <QRegularExpression>
#include <QSet>

namespace imago {

namespace {

bool hasLetterOrDigit(const QString &word)
{
    for (const QChar c : word)
        if (c.isLetterOrNumber())
            return true;
    return false;
}

// An FTS5 string: double quotes inside are doubled.
QString ftsString(const QString &text)
{
    return QLatin1Char('"') + QString(text).replace(QLatin1Char('"'), QStringLiteral("\"\"")) +
           QLatin1Char('"');
}

const QSet<QString> &stopWords()
{
    // Function words of English photo queries, and the words that name every photo.
    static const QSet<QString> words = [] {
        QSet<QString> s;
        for (const char *w :
             {"a",      "an",    "the",   "of",    "on",       "in",      "at",       "to",
              "with",   "and",   "or",    "by",    "for",      "from",    "into",     "onto",
              "over",   "under", "near",  "next",  "beside",   "is",      "are",      "be",
              "some",   "my",    "our",   "his",   "her",      "their",   "its",      "this",
              "that",   "these", "those", "photo", "photos",   "picture", "pictures", "image",
              "images", "pic",   "pics",  "shot",  "something"})
            s.insert(QString::fromLatin1(w));
        return s;
    }();
    return words;
}

} // namespace

QStringList searchableWords(const QString &text)
{
    QStringList out;
    for (const QString &word :
         text.split(QRegularExpression(QStringLiteral("\\s+")), Qt::SkipEmptyParts)) {
        if (!hasLetterOrDigit(word) || stopWords().contains(word.toCaseFolded()))
            continue;
        out << word;
    }
    return out;
}

QString anyWordsQuery(const QString &text)
{
    const QStringList words = searchableWords(text);
    QStringList terms;
    for (qsizetype i = 0; i < words.size(); ++i)
        terms << ftsString(words[i]) + (i + 1 == words.size() ? QStringLiteral("*") : QString());
    return terms.join(QStringLiteral(" OR "));
}

QString phraseQuery(const QString &phrase)
{
    return hasLetterOrDigit(phrase) ? ftsString(phrase.simplified()) : QString();
}

} // namespace imago
