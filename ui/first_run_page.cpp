#include "first_run_page.h"

#include <QDir>
#include <QEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QIcon>
#include <QLabel>
#include <QPushButton>
#include <QVBoxLayout>

namespace imago {

FirstRunPage::FirstRunPage(QWidget *parent) : QWidget(parent)
{
    auto *outer = new QVBoxLayout(this);
    outer->addStretch(2);
    auto *column = new QVBoxLayout;
    column->setSpacing(14);

    m_icon = new QLabel(this);
    m_icon->setPixmap(QIcon(QStringLiteral(":/icons/imago.svg")).pixmap(96, 96));
    m_icon->setAlignment(Qt::AlignCenter);
    column->addWidget(m_icon);

    m_title = new QLabel(this);
    QFont f = m_title->font();
    f.setPointSizeF(f.pointSizeF() * 1.8);
    f.setBold(true);
    m_title->setFont(f);
    m_title->setAlignment(Qt::AlignCenter);
    column->addWidget(m_title);

    m_text = new QLabel(this);
    m_text->setWordWrap(true);
    m_text->setAlignment(Qt::AlignCenter);
    column->addWidget(m_text);

    auto *buttons = new QHBoxLayout;
    buttons->setSpacing(10);
    buttons->addStretch();
    m_download = new QPushButton(this);
    m_download->setMinimumHeight(34);
    connect(m_download, &QPushButton::clicked, this, &FirstRunPage::downloadRequested);
    m_choose = new QPushButton(this);
    m_choose->setMinimumHeight(34);
    m_choose->setDefault(true);
    connect(m_choose, &QPushButton::clicked, this, &FirstRunPage::chooseModelFolder);
    buttons->addWidget(m_download);
    buttons->addWidget(m_choose);
    buttons->addStretch();
    column->addLayout(buttons);

    m_note = new QLabel(this);
    m_note->setWordWrap(true);
    m_note->setAlignment(Qt::AlignCenter);
    m_note->setForegroundRole(QPalette::PlaceholderText);
    column->addWidget(m_note);

    m_status = new QLabel(this);
    m_status->setWordWrap(true);
    m_status->setAlignment(Qt::AlignCenter);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);
    column->addWidget(m_status);

    auto *center = new QHBoxLayout;
    center->addStretch(1);
    auto *holder = new QWidget(this);
    holder->setLayout(column);
    holder->setMaximumWidth(560);
    center->addWidget(holder, 4);
    center->addStretch(1);
    outer->addLayout(center);
    outer->addStretch(3);
    retranslate();
}

void FirstRunPage::retranslate()
{
    m_title->setText(tr("Welcome to Imago"));
    m_text->setText(tr("Imago finds your photos by what is in them — “a dog on a beach”, “red "
                       "car at night” — entirely on this computer. To do that it needs its "
                       "picture-understanding model (FLAVA, about 1.4 GB), once."));
    m_download->setText(tr("Download the model"));
    m_choose->setText(tr("Choose model folder…"));
    m_note->setText(m_downloadAvailable
                        ? tr("The download is saved in your user data folder.")
                        : tr("Downloading from inside Imago is not available in this version "
                             "yet. If you already have the model (a folder with config.json, "
                             "model.safetensors and vocab.txt), choose its folder."));
    m_download->setEnabled(m_downloadAvailable);
}

void FirstRunPage::changeEvent(QEvent *event)
{
    if (event->type() == QEvent::LanguageChange)
        retranslate();
    QWidget::changeEvent(event);
}

void FirstRunPage::setDownloadAvailable(bool available)
{
    m_downloadAvailable = available;
    retranslate();
}

void FirstRunPage::setBusy(bool busy, const QString &message)
{
    m_choose->setEnabled(!busy);
    m_download->setEnabled(!busy && m_downloadAvailable);
    m_status->setStyleSheet(QString());
    m_status->setText(message);
}

void FirstRunPage::setError(const QString &message)
{
    setBusy(false);
    m_status->setStyleSheet(QStringLiteral("color: #c62828;"));
    m_status->setText(message);
}

QString FirstRunPage::checkModelFolder(const QString &dir)
{
    const QDir d(dir);
    if (!d.exists())
        return tr("The folder does not exist.");
    if (!d.exists(QStringLiteral("config.json")))
        return tr("This folder has no config.json: it is not a model folder.");
    if (!d.exists(QStringLiteral("model.safetensors")) && !d.exists(QStringLiteral("pytorch_model.bin")))
        return tr("This folder has no model weights (model.safetensors or pytorch_model.bin).");
    if (!d.exists(QStringLiteral("vocab.txt")))
        return tr("This folder has no vocab.txt.");
    return {};
}

void FirstRunPage::chooseModelFolder()
{
    const QString dir = QFileDialog::getExistingDirectory(this, tr("Choose the model folder"));
    if (dir.isEmpty())
        return;
    const QString problem = checkModelFolder(dir);
    if (!problem.isEmpty()) {
        setError(problem);
        return;
    }
    Q_EMIT modelFolderChosen(QDir::cleanPath(dir));
}

} // namespace imago
