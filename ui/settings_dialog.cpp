#include "settings_dialog.h"

#include "library.h"
#include "ui_language.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QDir>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QThread>
#include <QVBoxLayout>

namespace imago {

namespace {

QWidget *folderRow(QLineEdit *edit, const QString &title, QWidget *parent)
{
    auto *w = new QWidget(parent);
    auto *l = new QHBoxLayout(w);
    l->setContentsMargins(0, 0, 0, 0);
    l->addWidget(edit, 1);
    auto *browse = new QPushButton(SettingsDialog::tr("Browse…"), w);
    QObject::connect(browse, &QPushButton::clicked, w, [edit, title, w] {
        const QString dir = QFileDialog::getExistingDirectory(w, title, edit->text());
        if (!dir.isEmpty())
            edit->setText(QDir::toNativeSeparators(dir));
    });
    l->addWidget(browse);
    return w;
}

} // namespace

SettingsDialog::SettingsDialog(const AppSettings &settings, const QString &currentDevice,
                               QWidget *parent)
    : QDialog(parent), m_settings(settings)
{
    setWindowTitle(tr("Settings"));
    auto *layout = new QVBoxLayout(this);

    auto *libraryBox = new QGroupBox(tr("Library and model"), this);
    auto *lf = new QFormLayout(libraryBox);
    m_library = new QLineEdit(QDir::toNativeSeparators(settings.libraryDir), this);
    m_library->setPlaceholderText(QDir::toNativeSeparators(Library::defaultDirectory()));
    lf->addRow(tr("Library location:"), folderRow(m_library, tr("Library location"), this));
    m_model = new QLineEdit(QDir::toNativeSeparators(settings.modelDir), this);
    lf->addRow(tr("Model folder:"), folderRow(m_model, tr("Model folder"), this));
    m_device = new QComboBox(this);
    m_device->addItem(tr("Automatic (GPU when available)"), int(AppSettings::Device::Auto));
    m_device->addItem(tr("CPU"), int(AppSettings::Device::Cpu));
    m_device->addItem(tr("GPU (CUDA)"), int(AppSettings::Device::Gpu));
    m_device->setCurrentIndex(m_device->findData(int(settings.device)));
    if (!currentDevice.isEmpty())
        m_device->setToolTip(tr("In use now: %1").arg(currentDevice));
    lf->addRow(tr("Run the model on:"), m_device);
    m_threads = new QSpinBox(this);
    m_threads->setRange(0, std::max(1, QThread::idealThreadCount()));
    m_threads->setSpecialValueText(tr("Automatic"));
    m_threads->setValue(settings.threads);
    lf->addRow(tr("CPU threads:"), m_threads);
    layout->addWidget(libraryBox);

    auto *searchBox = new QGroupBox(tr("Search"), this);
    auto *sf = new QFormLayout(searchBox);
    m_rerank = new QSpinBox(this);
    m_rerank->setRange(0, 200);
    m_rerank->setSpecialValueText(tr("Off"));
    m_rerank->setValue(settings.rerankDepth);
    m_rerank->setToolTip(tr("How many of the first results are checked again, more carefully, "
                            "by the model (slower, often better)."));
    sf->addRow(tr("Rescore the first:"), m_rerank);
    m_confidence = new QDoubleSpinBox(this);
    m_confidence->setRange(0, 100);
    m_confidence->setDecimals(0);
    m_confidence->setSuffix(QStringLiteral(" %"));
    m_confidence->setSpecialValueText(tr("Show all"));
    m_confidence->setValue(settings.minConfidence * 100);
    m_confidence->setToolTip(tr("Hide rescored results the model finds less likely than this."));
    sf->addRow(tr("Confidence cut-off:"), m_confidence);
    layout->addWidget(searchBox);

    auto *viewBox = new QGroupBox(tr("Appearance"), this);
    auto *vf = new QFormLayout(viewBox);
    m_thumbs = new QComboBox(this);
    m_thumbs->addItem(tr("Small"), 112);
    m_thumbs->addItem(tr("Medium"), 160);
    m_thumbs->addItem(tr("Large"), 224);
    m_thumbs->addItem(tr("Extra large"), 320);
    int best = 1;
    for (int i = 0; i < m_thumbs->count(); ++i)
        if (std::abs(m_thumbs->itemData(i).toInt() - settings.thumbnailSize) <
            std::abs(m_thumbs->itemData(best).toInt() - settings.thumbnailSize))
            best = i;
    m_thumbs->setCurrentIndex(best);
    vf->addRow(tr("Thumbnail size:"), m_thumbs);
    m_showConfidence = new QCheckBox(tr("Show the confidence on each photo"), this);
    m_showConfidence->setChecked(settings.showConfidence);
    vf->addRow(QString(), m_showConfidence);
    m_language = new QComboBox(this);
    m_language->addItem(tr("System default"), QString());
    for (const UiLanguage &l : availableLanguages())
        m_language->addItem(l.nativeName, l.code);
    m_language->setCurrentIndex(std::max(0, m_language->findData(settings.language)));
    vf->addRow(tr("Language:"), m_language);
    layout->addWidget(viewBox);

    auto *box = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    connect(box, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(box, &QDialogButtonBox::rejected, this, &QDialog::reject);
    layout->addWidget(box);
    resize(560, sizeHint().height());
}

AppSettings SettingsDialog::result() const
{
    AppSettings s = m_settings;
    s.libraryDir = QDir::fromNativeSeparators(m_library->text().trimmed());
    s.modelDir = QDir::fromNativeSeparators(m_model->text().trimmed());
    s.device = AppSettings::Device(m_device->currentData().toInt());
    s.threads = m_threads->value();
    s.rerankDepth = m_rerank->value();
    s.minConfidence = m_confidence->value() / 100.0;
    s.thumbnailSize = m_thumbs->currentData().toInt();
    s.showConfidence = m_showConfidence->isChecked();
    s.language = m_language->currentData().toString();
    return s;
}

} // namespace imago
