// main_window.h - Imago's window: the search bar on top; folders on the left, the thumbnail
// grid in the middle, the selected photo on the right; the indexing strip below. Before a
// model is set up it shows the first-run page instead.
//
// Owns the long-lived pieces and their order of destruction: the indexing and search
// controllers go first (they cancel and wait for their work), then the LibraryService (which
// closes the library on its own thread). See library_service.h for the threads.
//
// Drop folders or photos from a file manager anywhere on the window to add and index them.
// Keyboard: Ctrl+F or / focuses the search, Enter searches, arrows move in the grid, Enter or
// a double-click opens the photo in the system viewer, Esc clears the search.
// GUI thread only.
#pragma once

#include "app_settings.h"
#include "search_controller.h"
#include "search_engine.h"
#include "search_session.h"

#include <QElapsedTimer>
#include <QMainWindow>
#include <QPointer>

class QLabel;
class QStackedWidget;
class QSplitter;
class QAction;
class QPushButton;
class QMimeData;

namespace imago {

class DetailPane;
class DuplicatesDialog;
class FirstRunPage;
class FoldersPanel;
class ModelDownloader;
class FolderWatcher;
class IndexingController;
class IndexingStatusWidget;
class LibraryService;
class RejectedModel;
class ResultModel;
class ResultView;
class RootsModel;
class SearchBar;
class SearchController;
class ThumbnailLoader;
struct LibraryOverview;

struct MainWindowOptions
{
    QString libraryDir;   // overrides the settings (--library, IMAGO_LIBRARY)
    QString modelDir;     // overrides the settings (--model, IMAGO_MODEL)
    QStringList addPaths; // folders or photos to add and index once the library is open
    QString query;        // a search to run once the library is open
};

class MainWindow : public QMainWindow
{
    Q_OBJECT
public:
    explicit MainWindow(const MainWindowOptions &options = {}, QWidget *parent = nullptr);
    ~MainWindow() override;

    // Local folders and files among the URLs of a drop (what a drop would index).
    static QStringList localPathsOf(const QMimeData *mime);

    // For tests and scripting.
    LibraryService *service() const { return m_service; }
    IndexingController *indexing() const { return m_indexing; }
    SearchController *searchController() const { return m_session->controller(); }
    SearchSession *searchSession() const { return m_session; }
    SearchBar *searchBar() const { return m_searchBar; }
    ResultModel *resultModel() const { return m_results; }
    ResultView *resultView() const { return m_view; }
    RootsModel *rootsModel() const { return m_roots; }
    RejectedModel *rejectedModel() const { return m_rejected; }
    DetailPane *detailPane() const { return m_detail; }
    FirstRunPage *firstRunPage() const { return m_firstRun; }
    IndexingStatusWidget *indexingStatus() const { return m_status; }
    bool isShowingFirstRun() const;
    QString resultsHeaderText() const;
    AppSettings &settings() { return m_settings; }

public Q_SLOTS:
    void addPaths(const QStringList &paths);
    void search(const QString &text);
    void searchSimilar(const QString &photo, const QString &text);
    void clearSearch();
    void focusSearch();
    void openSettings();
    void refreshOverview();
    // The library folder `folder` is now at `newPath`: re-pointed, nothing re-embedded.
    void locateFolder(const QString &folder, const QString &newPath);
    // Library > Find Duplicates: the groups of copies (one dialog; raised when open). Null
    // when no library is open.
    DuplicatesDialog *openDuplicates();

Q_SIGNALS:
    void overviewRefreshed();

protected:
    void dragEnterEvent(QDragEnterEvent *event) override;
    void dragMoveEvent(QDragMoveEvent *event) override;
    void dropEvent(QDropEvent *event) override;
    void changeEvent(QEvent *event) override;
    void closeEvent(QCloseEvent *event) override;

private:
    void buildUi();
    void retranslate();
    void openLibrary();
    // First run: fetch facebook/flava-full into the default model folder (resumable; progress
    // on the first-run page), then open it.
    void downloadModel();
    void onOpened();
    void onOpenFailed(const QString &message);
    void applySearchSettings();
    void showResults(const std::vector<SearchResult> &results, bool replaces);
    void applyOverview(const LibraryOverview &o);
    void updatePlaceholder();
    void updateHeader();
    void showResultMenu(const QModelIndex &index, const QPoint &globalPos);
    void openPhoto(const QString &path);
    void showInFileManager(const QString &path);
    void currentResultChanged();
    QString selectedPath() const;

    MainWindowOptions m_options;
    AppSettings m_settings;

    LibraryService *m_service = nullptr;
    IndexingController *m_indexing = nullptr;
    // The search on screen (request, scope, results, cut-off); run again when indexing
    // finishes so new photos show up in it.
    SearchSession *m_session = nullptr;
    ThumbnailLoader *m_thumbs = nullptr;
    ResultModel *m_results = nullptr;
    RootsModel *m_roots = nullptr;
    RejectedModel *m_rejected = nullptr;

    QStackedWidget *m_stack = nullptr;
    FirstRunPage *m_firstRun = nullptr;
    ModelDownloader *m_downloader = nullptr;
    // Re-indexes a root when its files change (inotify, or a periodic rescan where that cannot
    // work); changes seen during a run are indexed right after it.
    FolderWatcher *m_watcher = nullptr;
    QStringList m_watchPending;
    QSplitter *m_splitter = nullptr;
    SearchBar *m_searchBar = nullptr;
    FoldersPanel *m_folders = nullptr;
    ResultView *m_view = nullptr;
    QLabel *m_header = nullptr;
    QPushButton *m_moreButton = nullptr, *m_translationButton = nullptr;
    DetailPane *m_detail = nullptr;
    QPointer<DuplicatesDialog> m_duplicates;
    IndexingStatusWidget *m_status = nullptr;
    QLabel *m_statusLabel = nullptr;
    QMenu *m_fileMenu = nullptr, *m_viewMenu = nullptr, *m_helpMenu = nullptr;
    QAction *m_addAction = nullptr, *m_settingsAction = nullptr, *m_quitAction = nullptr,
            *m_confidenceAction = nullptr, *m_duplicatesAction = nullptr, *m_aboutAction = nullptr,
            *m_findAction = nullptr;

    QString m_autoSelected;            // the photo selected by us (not the person) on new results
    std::int64_t m_indexedPhotos = -1; // from the last overview; -1 unknown
    bool m_overviewBusy = false, m_overviewAgain = false;
    QElapsedTimer m_sinceOverview;
    QString m_openError;
};

} // namespace imago
