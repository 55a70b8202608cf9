#include "search_bar.h"

#include <QAbstractItemView>
#include <QCompleter>
#include <QEvent>
#include <QKeyEvent>
#include <QStringListModel>

namespace imago {

SearchBar::SearchBar(QWidget *parent) : QLineEdit(parent)
{
    m_history = new QStringListModel(this);
    m_completer = new QCompleter(m_history, this);
    m_completer->setCaseSensitivity(Qt::CaseInsensitive);
    m_completer->setFilterMode(Qt::MatchContains);
    m_completer->setCompletionMode(QCompleter::PopupCompletion);
    setCompleter(m_completer);
    setClearButtonEnabled(true);
    setMinimumWidth(320);
    addAction(QIcon::fromTheme(QStringLiteral("edit-find"),
                               QIcon(QStringLiteral(":/icons/search.svg"))),
              QLineEdit::LeadingPosition);
    connect(this, &QLineEdit::returnPressed, this, [this] {
        if (m_completer->popup()->isVisible())
            m_completer->popup()->hide();
        Q_EMIT searchRequested(text().trimmed());
    });
    connect(this, &QLineEdit::textChanged, this, [this](const QString &t) {
        if (t.isEmpty())
            Q_EMIT cleared();
    });
    retranslate();
}

void SearchBar::retranslate()
{
    setPlaceholderText(tr("Search your photos: “a dog on the beach”, “red car -night”…"));
    setToolTip(tr("Describe what is in the photo; file names, folders and keywords count too. "
                  "Put a minus before words to leave them out, quotes around words every photo "
                  "shown must have in its name, folders or keywords (\"Paris 2019\"). Chinese "
                  "is translated. Ctrl+F or / to come here, Enter to search, Esc to clear."));
}

void SearchBar::changeEvent(QEvent *event)
{
    if (event->type() == QEvent::LanguageChange)
        retranslate();
    QLineEdit::changeEvent(event);
}

void SearchBar::setHistory(const QStringList &history)
{
    m_history->setStringList(history);
}

QStringList SearchBar::history() const
{
    return m_history->stringList();
}

void SearchBar::keyPressEvent(QKeyEvent *event)
{
    if (event->key() == Qt::Key_Escape && !(m_completer->popup() && m_completer->popup()->isVisible())) {
        clear();
        Q_EMIT cleared();
        event->accept();
        return;
    }
    if (event->key() == Qt::Key_Down && text().isEmpty() && !m_history->stringList().isEmpty()) {
        m_completer->setCompletionPrefix(QString());
        m_completer->complete();
        event->accept();
        return;
    }
    QLineEdit::keyPressEvent(event);
}

} // namespace imago
