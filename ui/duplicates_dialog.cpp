#include "duplicates_dialog.h"

#include "library_service.h"
#include "thumbnail_loader.h"

#include <QDialogButtonBox>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLocale>
#include <QMessageBox>
#include <QProgressBar>
#include <QPushButton>
#include <QTreeWidget>
#include <QVBoxLayout>
#include <QtConcurrent>

namespace imago {

namespace {
constexpr int kPathRole = Qt::UserRole + 1;

struct Found
{
    DuplicateReport report;
    QHash<QString, QImage> thumbnails;
};
} // namespace

DuplicatesDialog::DuplicatesDialog(LibraryService *service, QWidget *parent)
    : QDialog(parent), m_service(service)
{
    setWindowTitle(tr("Duplicates"));
    resize(760, 560);
    auto *layout = new QVBoxLayout(this);
    m_summary = new QLabel(this);
    m_summary->setWordWrap(true);
    layout->addWidget(m_summary);
    m_progress = new QProgressBar(this);
    m_progress->setTextVisible(false);
    m_progress->setMaximumHeight(8);
    m_progress->hide();
    layout->addWidget(m_progress);
    m_tree = new QTreeWidget(this);
    m_tree->setColumnCount(3);
    m_tree->setHeaderLabels({tr("Photo"), tr("Size"), tr("Folder")});
    m_tree->setIconSize(QSize(96, 96));
    m_tree->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_tree->header()->setSectionResizeMode(0, QHeaderView::ResizeToContents);
    m_tree->header()->setStretchLastSection(true);
    layout->addWidget(m_tree, 1);
    auto *note = new QLabel(tr("Imago changes none of your photos unless you ask: “Move to "
                               "trash” puts files in the desktop's trash, from where the file "
                               "manager can restore them."),
                            this);
    note->setWordWrap(true);
    note->setForegroundRole(QPalette::PlaceholderText);
    layout->addWidget(note);
    auto *buttons = new QHBoxLayout;
    m_showButton = new QPushButton(tr("Show in folder"), this);
    m_trashButton = new QPushButton(tr("Move to trash…"), this);
    m_refreshButton = new QPushButton(tr("Look again"), this);
    auto *close = new QPushButton(tr("Close"), this);
    buttons->addWidget(m_showButton);
    buttons->addWidget(m_trashButton);
    buttons->addStretch(1);
    buttons->addWidget(m_refreshButton);
    buttons->addWidget(close);
    layout->addLayout(buttons);
    connect(close, &QPushButton::clicked, this, &QDialog::accept);
    connect(m_refreshButton, &QPushButton::clicked, this, &DuplicatesDialog::refresh);
    connect(m_showButton, &QPushButton::clicked, this, [this] {
        const QStringList paths = selectedPaths();
        if (!paths.isEmpty())
            Q_EMIT showInFolderRequested(paths.front());
    });
    connect(m_trashButton, &QPushButton::clicked, this,
            [this] { moveToTrash(selectedPaths(), true); });
    connect(m_tree, &QTreeWidget::itemSelectionChanged, this, &DuplicatesDialog::updateButtons);
    updateButtons();
    refresh();
}

DuplicatesDialog::~DuplicatesDialog()
{
    if (m_cancel)
        m_cancel->store(true);
}

void DuplicatesDialog::refresh()
{
    m_busy = true;
    m_summary->setText(tr("Looking for copies of the same picture…"));
    m_refreshButton->setEnabled(false);
    m_progress->setRange(0, 0);
    m_progress->show();
    const quint64 ticket = ++m_ticket;
    if (m_cancel)
        m_cancel->store(true);
    m_cancel = std::make_shared<std::atomic<bool>>(false);
    auto progress = progressOnGui(this, [this, ticket](int done, int total) {
        if (ticket == m_ticket) {
            m_progress->setRange(0, total);
            m_progress->setValue(done);
        }
    });
    m_service->findDuplicates(progress, m_cancel)
        .then(m_service->ioPool(),
              [](const DuplicateReport &r) {
                  Found f{r, {}};
                  for (const DuplicateGroup &g : r.groups)
                      for (const QString &p : g.paths) {
                          const QImage img = ThumbnailLoader::loadOrCreate(p, 128);
                          if (!img.isNull())
                              f.thumbnails.insert(p, img.scaled(96, 96, Qt::KeepAspectRatio,
                                                                Qt::SmoothTransformation));
                      }
                  return f;
              })
        .then(this,
              [this, ticket](const Found &f) {
                  if (ticket != m_ticket)
                      return;
                  m_report = f.report;
                  m_thumbnails = f.thumbnails;
                  m_busy = false;
                  m_progress->hide();
                  fill();
                  Q_EMIT groupsFound(int(m_report.groups.size()));
              })
        .onFailed(this, [this, ticket](const std::exception &e) {
            if (ticket != m_ticket)
                return;
            m_busy = false;
            m_progress->hide();
            m_refreshButton->setEnabled(true);
            m_summary->setText(tr("Could not look for duplicates: %1").arg(exceptionMessage(e)));
            Q_EMIT groupsFound(-1);
        });
}

void DuplicatesDialog::fill()
{
    m_tree->clear();
    m_refreshButton->setEnabled(true);
    const QLocale loc;
    int photos = 0;
    for (std::size_t i = 0; i < m_report.groups.size(); ++i) {
        const DuplicateGroup &g = m_report.groups[i];
        auto *group = new QTreeWidgetItem(m_tree);
        group->setText(0, g.kind == DuplicateGroup::Kind::Exact
                              ? tr("Exact copies (%n photo(s))", nullptr, int(g.paths.size()))
                              : tr("Same picture, resized or re-saved (%n photo(s))", nullptr,
                                   int(g.paths.size())));
        group->setFirstColumnSpanned(true);
        group->setFlags(Qt::ItemIsEnabled);
        // Largest file first: usually the original.
        std::vector<std::pair<qint64, QString>> bySize;
        for (const QString &p : g.paths)
            bySize.emplace_back(QFileInfo(p).size(), p);
        std::stable_sort(bySize.begin(), bySize.end(),
                         [](const auto &a, const auto &b) { return a.first > b.first; });
        for (const auto &[bytes, path] : bySize) {
            auto *item = new QTreeWidgetItem(group);
            item->setText(0, QFileInfo(path).fileName());
            item->setText(1, loc.formattedDataSize(bytes));
            item->setText(2, QDir::toNativeSeparators(QFileInfo(path).path()));
            item->setToolTip(0, path);
            item->setData(0, kPathRole, path);
            if (const auto it = m_thumbnails.constFind(path); it != m_thumbnails.cend())
                item->setIcon(0, QIcon(QPixmap::fromImage(*it)));
            ++photos;
        }
        group->setExpanded(true);
    }
    if (m_report.groups.empty())
        m_summary->setText(tr("No copies found: every photo in the library is a picture of "
                              "its own."));
    else
        m_summary->setText(tr("%n group(s) of copies, %1 photos in all. Select the ones you do "
                              "not need.",
                              nullptr, int(m_report.groups.size()))
                               .arg(photos));
    if (!m_report.unreadable.isEmpty())
        m_summary->setText(m_summary->text() + QLatin1Char(' ') +
                           tr("%n photo(s) could not be read and were left out.", nullptr,
                              int(m_report.unreadable.size())));
    updateButtons();
}

QStringList DuplicatesDialog::selectedPaths() const
{
    QStringList out;
    for (const QTreeWidgetItem *item : m_tree->selectedItems())
        if (const QString p = item->data(0, kPathRole).toString(); !p.isEmpty())
            out << p;
    return out;
}

void DuplicatesDialog::updateButtons()
{
    const int n = int(selectedPaths().size());
    m_showButton->setEnabled(n == 1);
    m_trashButton->setEnabled(n > 0);
}

QString DuplicatesDialog::confirmationText(const QStringList &paths)
{
    QStringList shown;
    for (qsizetype i = 0; i < std::min<qsizetype>(paths.size(), 12); ++i)
        shown << QStringLiteral("• ") + QDir::toNativeSeparators(paths[i]);
    QString text = tr("Move %n photo(s) to the trash?", nullptr, int(paths.size())) +
                   QStringLiteral("\n\n") + shown.join(QLatin1Char('\n'));
    if (paths.size() > 12)
        text += QLatin1Char('\n') + tr("and %n more", nullptr, int(paths.size() - 12));
    text += QStringLiteral("\n\n") + tr("You can restore them from the trash.");
    return text;
}

QStringList DuplicatesDialog::moveToTrash(const QStringList &paths, bool confirm)
{
    if (paths.isEmpty())
        return {};
    if (confirm && QMessageBox::question(this, tr("Move to trash"), confirmationText(paths),
                                         QMessageBox::Yes | QMessageBox::Cancel,
                                         QMessageBox::Cancel) != QMessageBox::Yes)
        return {};
    QStringList moved, failed;
    for (const QString &path : paths) {
        QFile f(path);
        if (f.moveToTrash())
            moved << path;
        else
            failed << QStringLiteral("%1: %2").arg(QDir::toNativeSeparators(path), f.errorString());
    }
    if (!moved.isEmpty()) {
        // The groups without them; a group left with one photo is no longer a group.
        for (DuplicateGroup &g : m_report.groups)
            for (std::size_t i = g.paths.size(); i-- > 0;)
                if (moved.contains(g.paths[i])) {
                    g.paths.erase(g.paths.begin() + std::ptrdiff_t(i));
                    g.ids.erase(g.ids.begin() + std::ptrdiff_t(i));
                }
        std::erase_if(m_report.groups, [](const DuplicateGroup &g) { return g.paths.size() < 2; });
        fill();
        Q_EMIT trashed(moved);
    }
    if (!failed.isEmpty() && confirm)
        QMessageBox::warning(this, tr("Move to trash"),
                             tr("These could not be moved to the trash:") + QLatin1Char('\n') +
                                 failed.join(QLatin1Char('\n')));
    else if (!failed.isEmpty())
        qWarning().noquote() << "not moved to the trash:" << failed.join(QStringLiteral("; "));
    return moved;
}

} // namespace imago
