// duplicates_dialog.h - "Duplicates": the library's groups of copies of the same picture.
//
// Opens at once with "Looking for copies…" while the service finds the groups on its search
// pool (duplicate_finder.h: the vectors propose, the pixels confirm) and makes their
// thumbnails; then lists each group (exact copies: the same bytes; near copies: resized,
// recompressed or slightly cropped) with its photos, largest first in each group.
//
// Imago deletes nothing by itself: the dialog offers "Show in folder" and, after a
// confirmation that names the files, "Move to trash" - the freedesktop trash through
// QFile::moveToTrash(), so the file manager can undo it. Trashed files are reported by
// trashed(), for the library to forget them.
//
// GUI thread only.
#pragma once

#include "duplicate_finder.h"

#include <QDialog>
#include <QHash>
#include <QImage>

#include <atomic>
#include <memory>

class QLabel;
class QProgressBar;
class QPushButton;
class QTreeWidget;

namespace imago {

class LibraryService;

class DuplicatesDialog : public QDialog
{
    Q_OBJECT
public:
    explicit DuplicatesDialog(LibraryService *service, QWidget *parent = nullptr);
    ~DuplicatesDialog() override; // stops a look in progress

    // Looks again (also called when the dialog opens).
    void refresh();
    bool isBusy() const { return m_busy; }
    const DuplicateReport &report() const { return m_report; }
    QTreeWidget *tree() const { return m_tree; }
    QStringList selectedPaths() const;

    // The question asked before trashing; names every file (at most 12, then "and N more").
    static QString confirmationText(const QStringList &paths);
    // Moves the files to the trash (asking first when `confirm`); returns those moved. Files
    // that could not be moved are reported in a message naming them and the reason.
    QStringList moveToTrash(const QStringList &paths, bool confirm = true);

Q_SIGNALS:
    void groupsFound(int groups);
    void showInFolderRequested(const QString &path);
    void trashed(const QStringList &paths);

private:
    void fill();
    void updateButtons();

    LibraryService *m_service;
    DuplicateReport m_report;
    QHash<QString, QImage> m_thumbnails;
    bool m_busy = false;
    quint64 m_ticket = 0;
    std::shared_ptr<std::atomic<bool>> m_cancel;
    QLabel *m_summary = nullptr;
    QProgressBar *m_progress = nullptr;
    QTreeWidget *m_tree = nullptr;
    QPushButton *m_showButton = nullptr, *m_trashButton = nullptr, *m_refreshButton = nullptr;
};

} // namespace imago
