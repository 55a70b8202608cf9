#include "main_window.h"

#include "detail_pane.h"
#include "duplicates_dialog.h"
#include "first_run_page.h"
#include "folder_watcher.h"
#include "folders_panel.h"
#include "indexing_controller.h"
#include "indexing_status_widget.h"
#include "library.h"
#include "library_service.h"
#include "model_downloader.h"
#include "model_store.h"
#include "rejected_model.h"
#include "result_model.h"
#include "result_view.h"
#include "roots_model.h"
#include "search_bar.h"
#include "search_controller.h"
#include "search_session.h"
#include "settings_dialog.h"
#include "thumbnail_loader.h"
#include "ui_language.h"

#include <QApplication>
#include <QClipboard>
#include <QCloseEvent>
#include <QDBusConnection>
#include <QDBusMessage>
#include <QDBusPendingCallWatcher>
#include <QDBusPendingReply>
#include <QDesktopServices>
#include <QDir>
#include <QDragEnterEvent>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QInputDialog>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLocale>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QPushButton>
#include <QScreen>
#include <QShortcut>
#include <QSplitter>
#include <QStackedWidget>
#include <QStatusBar>
#include <QToolBar>
#include <QUrl>
#include <QVBoxLayout>

#include <utility>

namespace imago {

namespace {

constexpr int kResultsShown = 200;

ModelChoice modelChoice(const AppSettings &s, const QString &modelDir)
{
    ModelChoice c;
    c.modelDir = modelDir;
    c.threads = s.threads;
    c.device = s.device == AppSettings::Device::Cpu   ? ModelChoice::Device::Cpu
               : s.device == AppSettings::Device::Gpu ? ModelChoice::Device::Gpu
                                                      : ModelChoice::Device::Auto;
    return c;
}

} // namespace

MainWindow::MainWindow(const MainWindowOptions &options, QWidget *parent)
    : QMainWindow(parent), m_options(options), m_settings(AppSettings::load())
{
    initResources();
    m_service = new LibraryService(this);
    m_indexing = new IndexingController(m_service, this);
    m_session = new SearchSession(m_service, this);
    m_thumbs = new ThumbnailLoader(this);
    m_results = new ResultModel(this);
    m_results->setThumbnailLoader(m_thumbs);
    m_roots = new RootsModel(this);
    m_rejected = new RejectedModel(this);

    buildUi();

    connect(m_service, &LibraryService::opened, this, &MainWindow::onOpened);
    connect(m_service, &LibraryService::openFailed, this, &MainWindow::onOpenFailed);
    connect(m_session, &SearchSession::resultsChanged, this, &MainWindow::showResults);
    connect(m_session, &SearchSession::stateChanged, this, [this] {
        updateHeader();
        updatePlaceholder();
    });
    connect(m_indexing, &IndexingController::started, this, [this](const QStringList &paths) {
        m_roots->setBusyPaths(paths);
        refreshOverview();
    });
    connect(m_indexing, &IndexingController::progressChanged, this, [this] {
        if (!m_sinceOverview.isValid() || m_sinceOverview.elapsed() > 1500)
            refreshOverview();
    });
    m_watcher = new FolderWatcher(this);
    connect(m_watcher, &FolderWatcher::changed, this, [this](const QStringList &roots) {
        for (const QString &r : roots)
            if (!m_watchPending.contains(r))
                m_watchPending << r;
        if (!m_indexing->isRunning() && m_indexing->start(m_watchPending))
            m_watchPending.clear();
    });
    connect(m_indexing, &IndexingController::finished, this, [this] {
        m_roots->setBusyPaths({});
        if (!m_watchPending.isEmpty() && m_indexing->start(m_watchPending))
            m_watchPending.clear();
        refreshOverview();
        m_session->rerun(); // include what was just indexed
    });
    connect(m_indexing, &IndexingController::failed, this, [this] {
        m_roots->setBusyPaths({});
        refreshOverview();
    });

    setAcceptDrops(true);
    setWindowIcon(QIcon(QStringLiteral(":/icons/imago.svg")));
    retranslate();

    // A comfortable default size: most of a laptop screen, centred.
    const QRect avail = screen() ? screen()->availableGeometry() : QRect(0, 0, 1400, 900);
    resize(std::min(1280, avail.width() * 9 / 10), std::min(820, avail.height() * 9 / 10));
    openLibrary();
}

MainWindow::~MainWindow()
{
    // Order matters: the controllers wait for their work, then the library closes.
    delete m_indexing;
    m_indexing = nullptr;
    delete m_session;
    m_session = nullptr;
    delete m_service;
    m_service = nullptr;
}

void MainWindow::buildUi()
{
    m_stack = new QStackedWidget(this);
    setCentralWidget(m_stack);

    m_firstRun = new FirstRunPage(m_stack);
    connect(m_firstRun, &FirstRunPage::modelFolderChosen, this, [this](const QString &dir) {
        m_settings.modelDir = dir;
        m_options.modelDir.clear(); // the choice beats a stale command-line value
        m_settings.save();
        openLibrary();
    });
    m_firstRun->setDownloadAvailable(true);
    connect(m_firstRun, &FirstRunPage::downloadRequested, this, &MainWindow::downloadModel);

    auto *mainPage = new QWidget(m_stack);
    auto *mainLayout = new QVBoxLayout(mainPage);
    mainLayout->setContentsMargins(0, 0, 0, 0);
    mainLayout->setSpacing(0);

    m_splitter = new QSplitter(Qt::Horizontal, mainPage);
    m_splitter->setChildrenCollapsible(false);
    m_folders = new FoldersPanel(m_roots, m_splitter);
    m_folders->setExclusions(m_settings.excludedFolders);
    m_folders->setMinimumWidth(200);
    connect(m_folders, &FoldersPanel::addRequested, this, &MainWindow::addPaths);
    connect(m_folders, &FoldersPanel::reindexRequested, this,
            [this](const QString &f) { addPaths({f}); });
    connect(m_folders, &FoldersPanel::removeRequested, this, [this](const QString &folder) {
        if (!m_service->isOpen())
            return;
        statusBar()->showMessage(tr("Removing %1…").arg(QDir::toNativeSeparators(folder)));
        m_service->post([folder](Library &lib) { return lib.forget({folder}).photos; })
            .then(this,
                  [this, folder](int photos) {
                      statusBar()->showMessage(tr("Removed %1 (%n photo(s)).", nullptr, photos)
                                                   .arg(QDir::toNativeSeparators(folder)),
                                               6000);
                      refreshOverview();
                      if (!m_searchBar->text().isEmpty())
                          search(m_searchBar->text());
                  })
            .onFailed(this, [this](const std::exception &e) {
                QMessageBox::warning(this, tr("Remove folder"), exceptionMessage(e));
            });
    });
    connect(m_folders, &FoldersPanel::locateRequested, this, &MainWindow::locateFolder);
    connect(m_folders, &FoldersPanel::exclusionsChanged, this, [this](const QStringList &f) {
        m_settings.excludedFolders = f;
        m_settings.save();
    });
    connect(m_folders, &FoldersPanel::searchInRequested, this, [this](const QString &folder) {
        m_session->setScope(folder);
        if (!m_searchBar->text().trimmed().isEmpty())
            search(m_searchBar->text());
        else
            updateHeader();
        focusSearch();
    });

    auto *center = new QWidget(m_splitter);
    auto *centerLayout = new QVBoxLayout(center);
    centerLayout->setContentsMargins(0, 8, 0, 0);
    centerLayout->setSpacing(4);
    auto *headerRow = new QHBoxLayout;
    headerRow->setContentsMargins(12, 0, 12, 0);
    m_header = new QLabel(center);
    m_header->setTextFormat(Qt::PlainText);
    m_header->setWordWrap(true);
    m_header->setForegroundRole(QPalette::PlaceholderText);
    headerRow->addWidget(m_header, 1);
    // "Searched for: dog on beach" - the translation of a Chinese query, to edit and run
    m_translationButton = new QPushButton(center);
    m_translationButton->setObjectName(QStringLiteral("translationButton"));
    m_translationButton->setFlat(true);
    m_translationButton->hide();
    connect(m_translationButton, &QPushButton::clicked, this, [this] {
        m_searchBar->setText(m_session->translatedQuery());
        focusSearch();
    });
    headerRow->addWidget(m_translationButton);
    // the confident cut-off: the rest of the results on request
    m_moreButton = new QPushButton(center);
    m_moreButton->setObjectName(QStringLiteral("showMoreButton"));
    m_moreButton->hide();
    connect(m_moreButton, &QPushButton::clicked, this,
            [this] { m_session->setShowAll(!m_session->showAll()); });
    headerRow->addWidget(m_moreButton);
    centerLayout->addLayout(headerRow);
    m_view = new ResultView(center);
    m_view->setThumbnailLoader(m_thumbs);
    m_view->setModel(m_results);
    m_view->setThumbnailSize(m_settings.thumbnailSize);
    m_view->setShowConfidence(m_settings.showConfidence);
    centerLayout->addWidget(m_view, 1);
    connect(m_view, &QListView::activated, this, [this](const QModelIndex &idx) {
        if (const auto *r = m_results->resultAt(idx.row()))
            openPhoto(r->path);
    });
    connect(m_view, &ResultView::contextMenuRequestedAt, this, &MainWindow::showResultMenu);
    connect(m_view->selectionModel(), &QItemSelectionModel::currentChanged, this,
            &MainWindow::currentResultChanged);
    connect(m_results, &QAbstractItemModel::modelReset, this, &MainWindow::currentResultChanged);
    connect(m_results, &QAbstractItemModel::layoutChanged, this, &MainWindow::currentResultChanged);

    m_detail = new DetailPane(m_service->ioPool(), m_splitter);
    m_detail->setExplainService(m_service);
    m_detail->setMinimumWidth(240);

    m_splitter->addWidget(m_folders);
    m_splitter->addWidget(center);
    m_splitter->addWidget(m_detail);
    m_splitter->setStretchFactor(0, 0);
    m_splitter->setStretchFactor(1, 1);
    m_splitter->setStretchFactor(2, 0);
    m_splitter->setSizes({240, 720, 300});
    mainLayout->addWidget(m_splitter, 1);

    m_status = new IndexingStatusWidget(m_indexing, m_rejected, mainPage);
    m_status->setAutoFillBackground(true);
    m_status->setBackgroundRole(QPalette::AlternateBase);
    m_status->hide();
    mainLayout->addWidget(m_status);

    m_stack->addWidget(m_firstRun);
    m_stack->addWidget(mainPage);

    // toolbar: the search field, centre stage
    auto *bar = addToolBar(QString());
    bar->setObjectName(QStringLiteral("searchToolbar"));
    bar->setMovable(false);
    bar->setFloatable(false);
    bar->toggleViewAction()->setVisible(false);
    bar->setContentsMargins(8, 4, 8, 4);
    m_searchBar = new SearchBar(bar);
    m_searchBar->setHistory(m_settings.history);
    m_searchBar->setMinimumHeight(30);
    bar->addWidget(m_searchBar);
    connect(m_searchBar, &SearchBar::searchRequested, this, &MainWindow::search);
    connect(m_searchBar, &SearchBar::cleared, this, &MainWindow::clearSearch);

    // menus and actions
    m_fileMenu = menuBar()->addMenu(QString());
    m_addAction = m_fileMenu->addAction(QIcon::fromTheme(QStringLiteral("folder-new")), QString(),
                                        m_folders, &FoldersPanel::chooseFolderToAdd);
    m_addAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_O));
    m_settingsAction = m_fileMenu->addAction(QIcon::fromTheme(QStringLiteral("configure")),
                                             QString(), this, &MainWindow::openSettings);
    m_settingsAction->setShortcut(QKeySequence::Preferences);
    m_settingsAction->setMenuRole(QAction::PreferencesRole);
    m_duplicatesAction = m_fileMenu->addAction(QIcon::fromTheme(QStringLiteral("edit-copy")),
                                               QString(), this, &MainWindow::openDuplicates);
    m_fileMenu->addSeparator();
    m_quitAction = m_fileMenu->addAction(QString(), this, &QWidget::close);
    m_quitAction->setShortcut(QKeySequence::Quit);
    m_viewMenu = menuBar()->addMenu(QString());
    m_findAction = m_viewMenu->addAction(QString(), this, &MainWindow::focusSearch);
    m_findAction->setShortcut(QKeySequence::Find);
    m_confidenceAction = m_viewMenu->addAction(QString());
    m_confidenceAction->setCheckable(true);
    m_confidenceAction->setChecked(m_settings.showConfidence);
    connect(m_confidenceAction, &QAction::toggled, this, [this](bool on) {
        m_settings.showConfidence = on;
        m_settings.save();
        m_view->setShowConfidence(on);
    });
    m_helpMenu = menuBar()->addMenu(QString());
    m_aboutAction = m_helpMenu->addAction(QString(), this, [this] {
        QMessageBox::about(this, tr("About Imago"),
                           tr("<h3>Imago %1</h3><p>Finds your own photos by what is in them, "
                              "entirely on this computer.</p><p>Model: %2</p>")
                               .arg(QCoreApplication::applicationVersion(),
                                    m_service->isOpen()
                                        ? QDir::toNativeSeparators(m_service->model()->directory())
                                        : tr("not loaded")));
    });

    auto *slash = new QShortcut(QKeySequence(Qt::Key_Slash), this);
    connect(slash, &QShortcut::activated, this, &MainWindow::focusSearch);
    auto *esc = new QShortcut(QKeySequence(Qt::Key_Escape), this);
    connect(esc, &QShortcut::activated, this, [this] {
        m_searchBar->clear();
        clearSearch();
        focusSearch();
    });

    m_statusLabel = new QLabel(this);
    statusBar()->addPermanentWidget(m_statusLabel);
    statusBar()->setSizeGripEnabled(true);
}

DuplicatesDialog *MainWindow::openDuplicates()
{
    if (!m_service->isOpen())
        return nullptr;
    if (m_duplicates) {
        m_duplicates->raise();
        m_duplicates->activateWindow();
        return m_duplicates;
    }
    m_duplicates = new DuplicatesDialog(m_service, this);
    m_duplicates->setAttribute(Qt::WA_DeleteOnClose);
    connect(m_duplicates, &DuplicatesDialog::showInFolderRequested, this,
            &MainWindow::showInFileManager);
    connect(m_duplicates, &DuplicatesDialog::trashed, this, [this](const QStringList &paths) {
        // Gone from the disk by the person's wish: gone from the library too.
        m_service->post([paths](Library &lib) { return lib.forget(paths).photos; })
            .then(this,
                  [this](int photos) {
                      statusBar()->showMessage(
                          tr("Moved %n photo(s) to the trash.", nullptr, photos), 6000);
                      refreshOverview();
                      m_session->rerun();
                  })
            .onFailed(this, [this](const std::exception &e) {
                QMessageBox::warning(this, tr("Move to trash"), exceptionMessage(e));
            });
    });
    m_duplicates->show();
    return m_duplicates;
}

void MainWindow::retranslate()
{
    setWindowTitle(tr("Imago"));
    m_fileMenu->setTitle(tr("&Library"));
    m_addAction->setText(tr("&Add Folder…"));
    m_settingsAction->setText(tr("&Settings…"));
    m_duplicatesAction->setText(tr("Find &Duplicates…"));
    m_quitAction->setText(tr("&Quit"));
    m_viewMenu->setTitle(tr("&View"));
    m_findAction->setText(tr("&Find"));
    m_confidenceAction->setText(tr("Show &Confidence"));
    m_helpMenu->setTitle(tr("&Help"));
    m_aboutAction->setText(tr("&About Imago"));
    updateHeader();
    updatePlaceholder();
    if (m_service->isOpen()) {
        const QString dev = m_service->deviceName();
        m_statusLabel->setText(
            m_service->isReadOnly()
                ? tr("Read-only: another program is indexing this library")
                : tr("Model on %1").arg(dev.isEmpty() ? tr("CPU") : dev.toUpper()));
    } else {
        m_statusLabel->clear();
    }
}

void MainWindow::changeEvent(QEvent *event)
{
    if (event->type() == QEvent::LanguageChange)
        retranslate();
    QMainWindow::changeEvent(event);
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    m_indexing->cancel();
    m_session->controller()->cancel();
    m_settings.history = m_searchBar->history();
    m_settings.save();
    QMainWindow::closeEvent(event);
}

bool MainWindow::isShowingFirstRun() const
{
    return m_stack->currentWidget() == m_firstRun;
}

QString MainWindow::resultsHeaderText() const
{
    return m_header->text();
}

void MainWindow::openLibrary()
{
    const QString modelDir =
        !m_options.modelDir.isEmpty() ? m_options.modelDir : m_settings.modelDir;
    const QString libraryDir =
        !m_options.libraryDir.isEmpty() ? m_options.libraryDir : m_settings.libraryDir;
    m_openError.clear();
    m_results->clear();
    m_roots->setRoots({});
    m_indexedPhotos = -1;
    if (modelDir.isEmpty()) {
        m_stack->setCurrentWidget(m_firstRun);
        m_firstRun->setBusy(false);
        return;
    }
    m_firstRun->setBusy(true, tr("Loading the model…"));
    m_stack->setCurrentIndex(1);
    m_searchBar->setEnabled(false);
    m_folders->setWritable(false);
    statusBar()->showMessage(
        tr("Loading the model from %1…").arg(QDir::toNativeSeparators(modelDir)));
    updatePlaceholder();
    m_service->open(libraryDir, modelChoice(m_settings, modelDir));
}

void MainWindow::onOpened()
{
    statusBar()->clearMessage();
    m_stack->setCurrentIndex(1);
    m_searchBar->setEnabled(true);
    m_folders->setWritable(!m_service->isReadOnly());
    IndexingOptions io;
    io.scan.excludes = m_settings.excludedFolders;
    m_indexing->setOptions(io);
    retranslate();
    refreshOverview();
    focusSearch();
    if (!m_options.addPaths.isEmpty())
        addPaths(std::exchange(m_options.addPaths, {}));
    if (!m_options.query.isEmpty())
        search(std::exchange(m_options.query, {}));
}

void MainWindow::onOpenFailed(const QString &message)
{
    statusBar()->clearMessage();
    m_openError = message;
    // Without a usable model nothing works: back to the first-run page, with the reason.
    m_stack->setCurrentWidget(m_firstRun);
    m_firstRun->setError(tr("Imago could not open the model or the library:\n%1").arg(message));
}

QStringList MainWindow::localPathsOf(const QMimeData *mime)
{
    QStringList paths;
    if (!mime || !mime->hasUrls())
        return paths;
    for (const QUrl &url : mime->urls()) {
        if (!url.isLocalFile())
            continue;
        const QFileInfo info(url.toLocalFile());
        if (info.exists())
            paths << QDir::cleanPath(info.absoluteFilePath());
    }
    return paths;
}

void MainWindow::dragEnterEvent(QDragEnterEvent *event)
{
    if (event->source() == nullptr && !localPathsOf(event->mimeData()).isEmpty() &&
        m_service->isOpen() && !m_service->isReadOnly())
        event->acceptProposedAction();
}

void MainWindow::dragMoveEvent(QDragMoveEvent *event)
{
    if (event->source() == nullptr && m_service->isOpen())
        event->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent *event)
{
    const QStringList paths = localPathsOf(event->mimeData());
    if (paths.isEmpty() || event->source() != nullptr)
        return;
    event->acceptProposedAction();
    addPaths(paths);
}

void MainWindow::addPaths(const QStringList &paths)
{
    if (paths.isEmpty())
        return;
    IndexingOptions io;
    io.scan.excludes = m_settings.excludedFolders;
    m_indexing->setOptions(io);
    if (!m_indexing->start(paths))
        QMessageBox::information(this, tr("Add folder"),
                                 m_service->isReadOnly()
                                     ? tr("This library is being changed by another program. "
                                          "Try again when it has finished.")
                                     : tr("The library is not open yet."));
}

void MainWindow::focusSearch()
{
    m_searchBar->setFocus(Qt::ShortcutFocusReason);
    m_searchBar->selectAll();
}

void MainWindow::search(const QString &rawText)
{
    const QString text = rawText.trimmed();
    if (text.isEmpty()) {
        clearSearch();
        return;
    }
    if (m_searchBar->text().trimmed() != text)
        m_searchBar->setText(text);
    m_settings.remember(text);
    m_searchBar->setHistory(m_settings.history);
    m_settings.save();
    applySearchSettings();
    m_detail->setQuery(SearchEngine::parseQuery(text).text);
    m_session->search(text);
}

void MainWindow::searchSimilar(const QString &photo, const QString &text)
{
    applySearchSettings();
    m_detail->setQuery(SearchEngine::parseQuery(text).text);
    m_session->searchSimilar(photo, text);
}

void MainWindow::applySearchSettings()
{
    SearchSessionSettings s;
    s.top = kResultsShown;
    s.rerank = m_settings.rerankDepth;
    s.minConfidence = m_settings.minConfidence;
    m_session->setSettings(s);
}

void MainWindow::clearSearch()
{
    m_detail->setQuery(QString());
    m_session->clear();
}

void MainWindow::showResults(const std::vector<SearchResult> &results, bool replaces)
{
    if (replaces || m_results->rowCount() == 0) {
        m_results->setResults(results);
        if (!results.empty()) {
            m_view->setCurrentIndex(m_results->index(0));
            m_autoSelected = results.front().path;
        }
        return;
    }
    // Keep a photo the person picked; a selection we made ourselves moves to the new best.
    const QString before = selectedPath();
    m_results->updateResults(results);
    if (!before.isEmpty() && before == m_autoSelected && m_results->rowCount() > 0)
        m_view->setCurrentIndex(m_results->index(0));
    currentResultChanged(); // its scores changed (the rerank), even where its row did not
}

void MainWindow::updateHeader()
{
    if (!m_header)
        return;
    const QString text = m_session->headerText();
    m_header->setText(text);
    m_header->setVisible(!text.isEmpty());
    if (m_session->isCutOff())
        m_moreButton->setText(tr("Show %n more", nullptr, m_session->hiddenCount()));
    else if (m_session->showAll() && m_session->confidentCount() > 0)
        m_moreButton->setText(tr("Only the good matches"));
    m_moreButton->setVisible(m_session->isCutOff() ||
                             (m_session->showAll() && m_session->confidentCount() > 0 &&
                              m_session->confidentCount() < m_session->totalCount()));
    const QString translated = m_session->translatedQuery();
    m_translationButton->setVisible(!translated.isEmpty());
    if (!translated.isEmpty()) {
        m_translationButton->setText(tr("Edit the English"));
        m_translationButton->setToolTip(
            tr("Put “%1” into the search field to change it").arg(translated));
    }
}

void MainWindow::updatePlaceholder()
{
    if (!m_view)
        return;
    if (m_service->state() == LibraryService::State::Opening) {
        m_view->setPlaceholderText(tr("Getting ready…"), tr("Loading the model. This takes a few "
                                                            "seconds."));
    } else if (m_session->isActive() && m_session->hasResults() && m_results->rowCount() == 0) {
        m_view->setPlaceholderText(tr("No photos match %1").arg(m_session->description()),
                                   m_settings.minConfidence > 0
                                       ? tr("Try other words, or lower the confidence cut-off in "
                                            "the settings.")
                                       : tr("Try other words."));
    } else if (m_indexedPhotos == 0 && m_roots->rowCount() == 0) {
        m_view->setPlaceholderText(
            tr("Your library is empty"),
            tr("Drop a folder of photos here, or choose Add folder…, and Imago will index it. "
               "You can search while it works."));
    } else if (m_indexedPhotos == 0) {
        m_view->setPlaceholderText(tr("No photos indexed yet"),
                                   m_indexing->isRunning()
                                       ? tr("Indexing is under way; you can search as soon as "
                                            "the first photos are in.")
                                       : tr("Drop a folder of photos here to add it."));
    } else if (m_indexedPhotos > 0) {
        m_view->setPlaceholderText(tr("What are you looking for?"),
                                   tr("%n photo(s) ready to search. Describe what is in the "
                                      "photo: “a red car”, “birthday cake with candles”.",
                                      nullptr,
                                      int(std::min<std::int64_t>(m_indexedPhotos, INT32_MAX))));
    } else {
        m_view->setPlaceholderText(QString());
    }
}

void MainWindow::locateFolder(const QString &folder, const QString &newPath)
{
    if (!m_service->isOpen())
        return;
    m_service->post([folder, newPath](Library &lib) { return lib.moveRoot(folder, newPath); })
        .then(this,
              [this, folder, newPath](int photos) {
                  statusBar()->showMessage(
                      tr("“%1” is now “%2” (%n photo(s), none indexed again).", nullptr, photos)
                          .arg(QDir::toNativeSeparators(folder), QDir::toNativeSeparators(newPath)),
                      8000);
                  refreshOverview();
                  if (!m_searchBar->text().isEmpty())
                      search(m_searchBar->text());
              })
        .onFailed(this, [this](const std::exception &e) {
            QMessageBox::warning(this, tr("Locate folder"), exceptionMessage(e));
        });
}

void MainWindow::refreshOverview()
{
    if (!m_service->isOpen())
        return;
    if (m_overviewBusy) {
        m_overviewAgain = true;
        return;
    }
    m_overviewBusy = true;
    m_sinceOverview.start();
    m_service->overview()
        .then(this,
              [this](const LibraryOverview &o) {
                  m_overviewBusy = false;
                  applyOverview(o);
                  if (m_overviewAgain) {
                      m_overviewAgain = false;
                      refreshOverview();
                  }
                  Q_EMIT overviewRefreshed();
              })
        .onFailed(this, [this](const std::exception &e) {
            m_overviewBusy = false;
            statusBar()->showMessage(exceptionMessage(e), 8000);
        });
}

void MainWindow::applyOverview(const LibraryOverview &o)
{
    m_roots->setRoots(o.roots);
    QStringList rootPaths;
    for (const auto &r : o.roots)
        rootPaths << r.path;
    if (rootPaths != m_watcher->roots() && !m_service->isReadOnly())
        m_watcher->watch(rootPaths);
    m_rejected->setRejected(o.rejectedFiles);
    m_status->setRejectedCount(o.rejected);
    m_indexedPhotos = o.indexed;
    const QLocale loc;
    QString summary = tr("%n photo(s) in the library", nullptr,
                         int(std::min<std::int64_t>(o.indexed, INT32_MAX)));
    if (o.missing > 0)
        summary += QLatin1Char('\n') + tr("%1 missing (kept)").arg(loc.toString(qint64(o.missing)));
    if (o.offline > 0)
        summary += QLatin1Char('\n') +
                   tr("%1 in offline folders (kept)").arg(loc.toString(qint64(o.offline)));
    if (o.stale > 0)
        summary += QLatin1Char('\n') +
                   tr("%1 to re-index for the new model").arg(loc.toString(qint64(o.stale)));
    m_folders->setSummary(summary);
    updatePlaceholder();
}

QString MainWindow::selectedPath() const
{
    const auto *r = m_results->resultAt(m_view->currentIndex().row());
    return r ? r->path : QString();
}

void MainWindow::currentResultChanged()
{
    const auto *r = m_results->resultAt(m_view->currentIndex().row());
    m_detail->showResult(r ? std::optional<SearchResult>(*r) : std::nullopt);
}

void MainWindow::openPhoto(const QString &path)
{
    if (!QDesktopServices::openUrl(QUrl::fromLocalFile(path)))
        statusBar()->showMessage(tr("No application to open %1").arg(path), 6000);
}

void MainWindow::showInFileManager(const QString &path)
{
    // The freedesktop FileManager1 interface selects the file in the user's file manager
    // (Files, Dolphin, Nemo, Thunar...); without it, open the folder.
    QDBusMessage call = QDBusMessage::createMethodCall(
        QStringLiteral("org.freedesktop.FileManager1"),
        QStringLiteral("/org/freedesktop/FileManager1"),
        QStringLiteral("org.freedesktop.FileManager1"), QStringLiteral("ShowItems"));
    call << QStringList{QUrl::fromLocalFile(path).toString()} << QString();
    const QString folder = QFileInfo(path).absolutePath();
    QDBusConnection bus = QDBusConnection::sessionBus();
    if (!bus.isConnected()) {
        QDesktopServices::openUrl(QUrl::fromLocalFile(folder));
        return;
    }
    auto *watcher = new QDBusPendingCallWatcher(bus.asyncCall(call, 5000), this);
    connect(watcher, &QDBusPendingCallWatcher::finished, this,
            [folder](QDBusPendingCallWatcher *w) {
                if (w->isError())
                    QDesktopServices::openUrl(QUrl::fromLocalFile(folder));
                w->deleteLater();
            });
}

void MainWindow::showResultMenu(const QModelIndex &index, const QPoint &globalPos)
{
    const auto *r = m_results->resultAt(index.row());
    if (!r)
        return;
    const QString path = r->path;
    QMenu menu(this);
    QAction *open = menu.addAction(QIcon::fromTheme(QStringLiteral("document-open")), tr("&Open"),
                                   this, [this, path] { openPhoto(path); });
    menu.setDefaultAction(open);
    menu.addAction(QIcon::fromTheme(QStringLiteral("system-file-manager")),
                   tr("Show in &File Manager"), this, [this, path] { showInFileManager(path); });
    menu.addAction(QIcon::fromTheme(QStringLiteral("edit-copy")), tr("&Copy Path"), this, [path] {
        QGuiApplication::clipboard()->setText(QDir::toNativeSeparators(path));
    });
    menu.addSeparator();
    menu.addAction(QIcon::fromTheme(QStringLiteral("edit-find")), tr("Find &Similar Photos"), this,
                   [this, path] { searchSimilar(path, {}); });
    menu.addAction(tr("Search with This Photo and &Words…"), this, [this, path] {
        bool ok = false;
        const QString words =
            QInputDialog::getText(this, tr("Search with this photo"),
                                  tr("Photos like %1, and also:").arg(QFileInfo(path).fileName()),
                                  QLineEdit::Normal, QString(), &ok);
        if (ok)
            searchSimilar(path, words);
    });
    menu.exec(globalPos);
}

void MainWindow::openSettings()
{
    SettingsDialog dlg(m_settings, m_service->deviceName(), this);
    if (dlg.exec() != QDialog::Accepted)
        return;
    const AppSettings before = m_settings;
    m_settings = dlg.result();
    m_settings.save();
    if (m_settings.language != before.language)
        applyLanguage(m_settings.language);
    if (m_settings.thumbnailSize != before.thumbnailSize)
        m_view->setThumbnailSize(m_settings.thumbnailSize);
    m_view->setShowConfidence(m_settings.showConfidence);
    m_confidenceAction->setChecked(m_settings.showConfidence);
    const bool reopen = m_settings.libraryDir != before.libraryDir ||
                        m_settings.modelDir != before.modelDir ||
                        m_settings.device != before.device || m_settings.threads != before.threads;
    if (reopen) {
        // An explicit choice in the settings beats --library/--model for the rest of the run.
        if (m_settings.libraryDir != before.libraryDir)
            m_options.libraryDir.clear();
        if (m_settings.modelDir != before.modelDir)
            m_options.modelDir.clear();
        openLibrary();
    } else if ((m_settings.rerankDepth != before.rerankDepth ||
                m_settings.minConfidence != before.minConfidence) &&
               !m_searchBar->text().trimmed().isEmpty()) {
        search(m_searchBar->text());
    }
}

void MainWindow::downloadModel()
{
    if (m_downloader)
        return;
    DownloadOptions options;
    options.targetDir = ModelStore::defaultModelDir();
    // A half-finished earlier download resumes from its .part files.
    m_downloader = new ModelDownloader(options, this);
    m_firstRun->setBusy(true, tr("Preparing the download…"));
    connect(
        m_downloader, &ModelDownloader::progressChanged, this, [this](const DownloadProgress &p) {
            const double mb = 1024.0 * 1024.0;
            if (p.bytesTotal > 0)
                m_firstRun->setBusy(
                    true, tr("Downloading the model: %1 of %2 MB (%3 MB/s), about %4 min left")
                              .arg(p.bytesDone / mb, 0, 'f', 0)
                              .arg(p.bytesTotal / mb, 0, 'f', 0)
                              .arg(p.bytesPerSecond / mb, 0, 'f', 1)
                              .arg(p.etaSeconds < 0 ? QStringLiteral("?")
                                                    : QString::number(int(p.etaSeconds / 60) + 1)));
            else
                m_firstRun->setBusy(
                    true, tr("Downloading the model: %1 MB").arg(p.bytesDone / mb, 0, 'f', 0));
        });
    connect(m_downloader, &ModelDownloader::finished, this, [this](const QString &dir) {
        m_downloader->deleteLater();
        m_downloader = nullptr;
        ModelStore().setActiveModel(dir);
        m_settings.modelDir = dir;
        m_options.modelDir.clear();
        m_settings.save();
        openLibrary();
    });
    connect(m_downloader, &ModelDownloader::failed, this, [this](const DownloadFailure &f) {
        m_downloader->deleteLater();
        m_downloader = nullptr;
        m_firstRun->setBusy(false);
        m_firstRun->setError(
            tr("The download failed: %1\nClick Download again to resume.").arg(f.message));
    });
    m_downloader->start();
}

} // namespace imago
