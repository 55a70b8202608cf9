// folders_panel.h - the library's folders: each with its online/offline state and photo
// count, buttons to add and remove folders, and the exclusions (folders never indexed).
// Dropping folders or photos on the main window adds them too (MainWindow handles the drop).
//
// The panel only asks; MainWindow does: addRequested / removeRequested / locateRequested (an
// offline folder's new place: "Locate folder…") / exclusionsChanged.
// GUI thread only.
#pragma once

#include <QStringList>
#include <QWidget>

class QLabel;
class QListView;
class QPushButton;
class QToolButton;

namespace imago {

class RootsModel;

class FoldersPanel : public QWidget
{
    Q_OBJECT
public:
    explicit FoldersPanel(RootsModel *model, QWidget *parent = nullptr);

    void setExclusions(const QStringList &folders) { m_exclusions = folders; }
    QStringList exclusions() const { return m_exclusions; }
    void setSummary(const QString &text);
    void setWritable(bool writable);
    QListView *view() const { return m_view; }

public Q_SLOTS:
    void chooseFolderToAdd();
    void editExclusions();

Q_SIGNALS:
    void addRequested(const QStringList &folders);
    void removeRequested(const QString &folder);
    // An offline folder is now at `newPath` (moved, or its drive mounted elsewhere).
    void locateRequested(const QString &folder, const QString &newPath);
    void reindexRequested(const QString &folder);
    void searchInRequested(const QString &folder);
    void exclusionsChanged(const QStringList &folders);

protected:
    void changeEvent(QEvent *event) override;

private:
    void retranslate();
    void showMenu(const QPoint &pos);
    void removeSelected();
    void locate(const QString &folder);

    RootsModel *m_model;
    QStringList m_exclusions;
    QLabel *m_title = nullptr;
    QLabel *m_summary = nullptr;
    QListView *m_view = nullptr;
    QPushButton *m_add = nullptr;
    QToolButton *m_remove = nullptr;
    QToolButton *m_exclude = nullptr;
};

} // namespace imago
