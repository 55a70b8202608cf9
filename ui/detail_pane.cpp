#include "detail_pane.h"

#include "image_decoder.h"

#include <QDir>
#include <QEvent>
#include <QFileInfo>
#include <QFormLayout>
#include <QLabel>
#include <QLocale>
#include <QPointer>
#include <QScrollArea>
#include <QVBoxLayout>
#include <QtConcurrent>

#include <algorithm>

namespace imago {

DetailPane::DetailPane(QThreadPool *pool, QWidget *parent) : QWidget(parent), m_pool(pool)
{
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(12, 12, 12, 12);
    layout->setSpacing(10);

    m_empty = new QLabel(this);
    m_empty->setAlignment(Qt::AlignCenter);
    m_empty->setWordWrap(true);
    m_empty->setForegroundRole(QPalette::PlaceholderText);
    layout->addWidget(m_empty, 1);

    m_image = new QLabel(this);
    m_image->setAlignment(Qt::AlignCenter);
    m_image->setMinimumWidth(160);
    m_image->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Fixed);
    layout->addWidget(m_image);

    m_name = new QLabel(this);
    QFont f = m_name->font();
    f.setBold(true);
    f.setPointSizeF(f.pointSizeF() * 1.15);
    m_name->setFont(f);
    m_name->setWordWrap(true);
    m_name->setTextInteractionFlags(Qt::TextSelectableByMouse);
    layout->addWidget(m_name);

    m_facts = new QWidget(this);
    m_form = new QFormLayout(m_facts);
    m_form->setContentsMargins(0, 0, 0, 0);
    m_form->setRowWrapPolicy(QFormLayout::DontWrapRows);
    m_form->setLabelAlignment(Qt::AlignLeft);
    auto row = [this](QLabel *&label, QLabel *&value) {
        label = new QLabel(m_facts);
        label->setForegroundRole(QPalette::PlaceholderText);
        value = new QLabel(m_facts);
        value->setWordWrap(true);
        value->setTextInteractionFlags(Qt::TextSelectableByMouse);
        m_form->addRow(label, value);
    };
    row(m_folderLabel, m_folder);
    row(m_dateLabel, m_date);
    row(m_sizeLabel, m_size);
    row(m_cameraLabel, m_camera);
    row(m_scoreLabel, m_score);
    row(m_matchLabel, m_match);
    layout->addWidget(m_facts);
    layout->addStretch(1);

    retranslate();
    fill();
}

void DetailPane::retranslate()
{
    m_empty->setText(tr("Select a photo to see it larger, with its details."));
    m_folderLabel->setText(tr("Folder"));
    m_dateLabel->setText(tr("Taken"));
    m_sizeLabel->setText(tr("Size"));
    m_cameraLabel->setText(tr("Camera"));
    m_scoreLabel->setText(tr("Similarity"));
    m_matchLabel->setText(tr("Match"));
    fill();
}

void DetailPane::changeEvent(QEvent *event)
{
    if (event->type() == QEvent::LanguageChange)
        retranslate();
    QWidget::changeEvent(event);
}

void DetailPane::resizeEvent(QResizeEvent *event)
{
    QWidget::resizeEvent(event);
    m_image->setFixedHeight(std::clamp(width() * 3 / 4, 160, 520));
    updatePixmap();
}

PhotoPreview DetailPane::loadPreview(const QString &path, int maxSide)
{
    PhotoPreview out;
    const QFileInfo info(path);
    out.fileBytes = info.exists() ? info.size() : -1;
    out.modified = info.lastModified();
    DecodeRequest req;
    req.minSide = maxSide;
    const DecodeResult r = decodeImageFile(path, req);
    if (!r.ok()) {
        out.error = r.error;
        return out;
    }
    const RgbImage &rgb = r.decoded->image;
    QImage img = QImage(rgb.pixels.data(), rgb.width, rgb.height, qsizetype(rgb.rowBytes()),
                        QImage::Format_RGB888)
                     .copy();
    if (img.width() > maxSide || img.height() > maxSide)
        img = img.scaled(maxSide, maxSide, Qt::KeepAspectRatio, Qt::SmoothTransformation);
    out.image = img;
    out.width = r.decoded->orientedWidth;
    out.height = r.decoded->orientedHeight;
    out.capturedAt = r.decoded->metadata.capturedAt;
    out.camera = r.decoded->metadata.camera;
    return out;
}

void DetailPane::showResult(const std::optional<SearchResult> &result)
{
    if (result && m_result && result->path == m_result->path) {
        m_result = result; // scores may have changed (rerank)
        fill();
        return;
    }
    m_result = result;
    m_preview.reset();
    const quint64 ticket = ++m_ticket;
    fill();
    if (!result)
        return;
    QtConcurrent::run(m_pool, &DetailPane::loadPreview, result->path, 1024)
        .then(this, [this, ticket](const PhotoPreview &preview) {
            if (ticket != m_ticket)
                return;
            m_preview = preview;
            fill();
        });
}

void DetailPane::updatePixmap()
{
    if (!m_preview || m_preview->image.isNull()) {
        m_image->setPixmap({});
        m_image->setText(m_preview ? m_preview->error : QString());
        return;
    }
    const QSize avail = m_image->size();
    const qreal dpr = devicePixelRatioF();
    QPixmap pm = QPixmap::fromImage(m_preview->image.scaled(
        (avail * dpr).boundedTo(m_preview->image.size()).expandedTo(QSize(1, 1)),
        Qt::KeepAspectRatio, Qt::SmoothTransformation));
    pm.setDevicePixelRatio(dpr);
    m_image->setPixmap(pm);
}

void DetailPane::fill()
{
    const bool has = m_result.has_value();
    m_empty->setVisible(!has);
    m_image->setVisible(has);
    m_name->setVisible(has);
    m_facts->setVisible(has);
    if (!has)
        return;
    const SearchResult &r = *m_result;
    const QFileInfo info(r.path);
    const QLocale loc;
    m_name->setText(info.fileName());
    m_folder->setText(QDir::toNativeSeparators(info.absolutePath()));

    QDateTime taken = r.capturedAt;
    if (!taken.isValid() && m_preview)
        taken = m_preview->capturedAt;
    // A floating camera time: shown as written, never shifted into this machine's zone.
    m_date->setText(taken.isValid()
                        ? loc.toString(QDateTime(taken.date(), taken.time()), QLocale::ShortFormat)
                        : tr("unknown"));

    QStringList size;
    const int w = r.width ? r.width : (m_preview ? m_preview->width : 0);
    const int h = r.height ? r.height : (m_preview ? m_preview->height : 0);
    if (w > 0 && h > 0)
        size << tr("%1 × %2 pixels").arg(w).arg(h);
    if (m_preview && m_preview->fileBytes >= 0)
        size << loc.formattedDataSize(m_preview->fileBytes);
    if (!r.format.isEmpty())
        size << r.format.toUpper();
    m_size->setText(size.isEmpty() ? tr("…") : size.join(QStringLiteral(" · ")));

    m_camera->setText(m_preview ? (m_preview->camera.isEmpty() ? tr("unknown") : m_preview->camera)
                                : tr("…"));
    m_score->setText(r.rankBeforeRerank > 0
                         ? tr("%1 (rank %2 before rerank)")
                               .arg(loc.toString(r.score, 'f', 3))
                               .arg(r.rankBeforeRerank)
                         : loc.toString(r.score, 'f', 3));
    m_match->setText(r.matchProbability
                         ? tr("%1%").arg(loc.toString(*r.matchProbability * 100, 'f', 1))
                         : tr("not rescored"));
    updatePixmap();
}

} // namespace imago
