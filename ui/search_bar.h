// search_bar.h - the query field: Enter searches, Esc clears, the history (most recent first)
// pops up as completions, and a small label can show what the results are ("similar to …").
// GUI thread only.
#pragma once

#include <QLineEdit>

class QCompleter;
class QStringListModel;

namespace imago {

class SearchBar : public QLineEdit
{
    Q_OBJECT
public:
    explicit SearchBar(QWidget *parent = nullptr);

    void setHistory(const QStringList &history);
    QStringList history() const;

Q_SIGNALS:
    void searchRequested(const QString &text);
    void cleared();

protected:
    void keyPressEvent(QKeyEvent *event) override;
    void changeEvent(QEvent *event) override;

private:
    void retranslate();
    QStringListModel *m_history;
    QCompleter *m_completer;
};

} // namespace imago
