#include "folders_panel.h"

#include "roots_model.h"

#include <QDesktopServices>
#include <QDialog>
#include <QDialogButtonBox>
#include <QDir>
#include <QEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QListView>
#include <QListWidget>
#include <QMenu>
#include <QMessageBox>
#include <QPushButton>
#include <QStandardPaths>
#include <QToolButton>
#include <QUrl>
#include <QVBoxLayout>

namespace imago {

FoldersPanel::FoldersPanel(RootsModel *model, QWidget *parent) : QWidget(parent), m_model(model)
{
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(10, 10, 6, 10);
    layout->setSpacing(6);

    m_title = new QLabel(this);
    QFont f = m_title->font();
    f.setBold(true);
    m_title->setFont(f);
    layout->addWidget(m_title);

    m_view = new QListView(this);
    m_view->setModel(model);
    m_view->setIconSize(QSize(22, 22));
    m_view->setSpacing(2);
    m_view->setUniformItemSizes(false);
    m_view->setContextMenuPolicy(Qt::CustomContextMenu);
    m_view->setEditTriggers(QAbstractItemView::NoEditTriggers);
    connect(m_view, &QListView::customContextMenuRequested, this, &FoldersPanel::showMenu);
    layout->addWidget(m_view, 1);

    m_summary = new QLabel(this);
    m_summary->setWordWrap(true);
    m_summary->setForegroundRole(QPalette::PlaceholderText);
    layout->addWidget(m_summary);

    auto *buttons = new QHBoxLayout;
    buttons->setSpacing(4);
    m_add = new QPushButton(this);
    m_add->setIcon(QIcon::fromTheme(QStringLiteral("folder-new"),
                                    style()->standardIcon(QStyle::SP_FileDialogNewFolder)));
    connect(m_add, &QPushButton::clicked, this, &FoldersPanel::chooseFolderToAdd);
    m_remove = new QToolButton(this);
    m_remove->setIcon(QIcon::fromTheme(QStringLiteral("list-remove"),
                                       style()->standardIcon(QStyle::SP_DialogDiscardButton)));
    connect(m_remove, &QToolButton::clicked, this, &FoldersPanel::removeSelected);
    m_exclude = new QToolButton(this);
    m_exclude->setIcon(QIcon::fromTheme(QStringLiteral("configure"),
                                        style()->standardIcon(QStyle::SP_FileDialogDetailedView)));
    connect(m_exclude, &QToolButton::clicked, this, &FoldersPanel::editExclusions);
    buttons->addWidget(m_add, 1);
    buttons->addWidget(m_remove);
    buttons->addWidget(m_exclude);
    layout->addLayout(buttons);

    auto updateButtons = [this] { m_remove->setEnabled(m_view->currentIndex().isValid()); };
    connect(m_view->selectionModel(), &QItemSelectionModel::currentChanged, this, updateButtons);
    connect(model, &QAbstractItemModel::modelReset, this, updateButtons);
    updateButtons();
    retranslate();
}

void FoldersPanel::retranslate()
{
    m_title->setText(tr("Folders"));
    m_add->setText(tr("Add folder…"));
    m_add->setToolTip(tr("Add a folder of photos to the library and index it. You can also drop "
                         "folders onto the window."));
    m_remove->setToolTip(tr("Remove the selected folder from the library"));
    m_exclude->setToolTip(tr("Folders to leave out when indexing…"));
}

void FoldersPanel::changeEvent(QEvent *event)
{
    if (event->type() == QEvent::LanguageChange)
        retranslate();
    QWidget::changeEvent(event);
}

void FoldersPanel::setSummary(const QString &text)
{
    m_summary->setText(text);
}

void FoldersPanel::setWritable(bool writable)
{
    m_add->setEnabled(writable);
    m_remove->setEnabled(writable && m_view->currentIndex().isValid());
}

void FoldersPanel::chooseFolderToAdd()
{
    const QString dir = QFileDialog::getExistingDirectory(
        this, tr("Add a folder of photos"),
        QStandardPaths::writableLocation(QStandardPaths::PicturesLocation));
    if (!dir.isEmpty())
        Q_EMIT addRequested({dir});
}

void FoldersPanel::removeSelected()
{
    const auto *root = m_model->rootAt(m_view->currentIndex().row());
    if (!root)
        return;
    const auto answer = QMessageBox::question(
        this, tr("Remove folder"),
        tr("Remove “%1” from the library?\n\nIts photos will no longer be found. The files "
           "themselves are not touched.")
            .arg(QDir::toNativeSeparators(root->path)),
        QMessageBox::Cancel | QMessageBox::Ok, QMessageBox::Cancel);
    if (answer == QMessageBox::Ok)
        Q_EMIT removeRequested(root->path);
}

void FoldersPanel::locate(const QString &folder)
{
    const QString dir = QFileDialog::getExistingDirectory(
        this, tr("Where is “%1” now?").arg(QDir::toNativeSeparators(folder)),
        QFileInfo(folder).absolutePath());
    if (!dir.isEmpty())
        Q_EMIT locateRequested(folder, dir);
}

void FoldersPanel::showMenu(const QPoint &pos)
{
    const QModelIndex idx = m_view->indexAt(pos);
    const auto *root = m_model->rootAt(idx.row());
    QMenu menu(this);
    if (root) {
        const QString path = root->path;
        menu.addAction(tr("Search in this folder"), this,
                       [this, path] { Q_EMIT searchInRequested(path); });
        menu.addAction(tr("Index again"), this, [this, path] { Q_EMIT reindexRequested(path); })
            ->setEnabled(m_add->isEnabled() && root->online);
        menu.addAction(tr("Open in file manager"), this,
                       [path] { QDesktopServices::openUrl(QUrl::fromLocalFile(path)); })
            ->setEnabled(root->online);
        // A copied library, a renamed folder, a drive mounted elsewhere: point the folder at
        // its new place, and its photos are found again without being indexed again.
        if (!root->online)
            menu.addAction(tr("Locate folder…"), this, [this, path] { locate(path); })
                ->setEnabled(m_add->isEnabled());
        menu.addSeparator();
        menu.addAction(tr("Remove from library…"), this, &FoldersPanel::removeSelected)
            ->setEnabled(m_add->isEnabled());
        menu.addSeparator();
    }
    menu.addAction(tr("Add folder…"), this, &FoldersPanel::chooseFolderToAdd)
        ->setEnabled(m_add->isEnabled());
    menu.addAction(tr("Exclusions…"), this, &FoldersPanel::editExclusions);
    menu.exec(m_view->viewport()->mapToGlobal(pos));
}

void FoldersPanel::editExclusions()
{
    QDialog dlg(this);
    dlg.setWindowTitle(tr("Excluded folders"));
    auto *layout = new QVBoxLayout(&dlg);
    auto *help =
        new QLabel(tr("Photos in these folders (and below them) are never indexed."), &dlg);
    help->setWordWrap(true);
    layout->addWidget(help);
    auto *list = new QListWidget(&dlg);
    for (const QString &e : m_exclusions)
        list->addItem(QDir::toNativeSeparators(e));
    layout->addWidget(list);
    auto *row = new QHBoxLayout;
    auto *add = new QPushButton(tr("Add…"), &dlg);
    auto *remove = new QPushButton(tr("Remove"), &dlg);
    row->addWidget(add);
    row->addWidget(remove);
    row->addStretch();
    layout->addLayout(row);
    auto *box = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, &dlg);
    layout->addWidget(box);
    connect(box, &QDialogButtonBox::accepted, &dlg, &QDialog::accept);
    connect(box, &QDialogButtonBox::rejected, &dlg, &QDialog::reject);
    connect(add, &QPushButton::clicked, &dlg, [&] {
        const QString dir = QFileDialog::getExistingDirectory(&dlg, tr("Exclude a folder"));
        if (!dir.isEmpty())
            list->addItem(QDir::toNativeSeparators(dir));
    });
    connect(remove, &QPushButton::clicked, &dlg, [list] { delete list->currentItem(); });
    dlg.resize(460, 320);
    if (dlg.exec() != QDialog::Accepted)
        return;
    QStringList folders;
    for (int i = 0; i < list->count(); ++i)
        folders << QDir::cleanPath(QDir::fromNativeSeparators(list->item(i)->text()));
    folders.removeDuplicates();
    m_exclusions = folders;
    Q_EMIT exclusionsChanged(folders);
}

} // namespace imago
