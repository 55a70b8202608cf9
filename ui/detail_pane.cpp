#include "detail_pane.h"

#include "image_decoder.h"
#include "library_service.h"

#include <QDir>
#include <QEvent>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLocale>
#include <QPainter>
#include <QPointer>
#include <QProgressBar>
#include <QPushButton>
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

    auto *whyRow = new QHBoxLayout;
    m_why = new QPushButton(this);
    m_why->setObjectName(QStringLiteral("whyButton"));
    m_why->setCheckable(true);
    whyRow->addWidget(m_why);
    m_whyProgress = new QProgressBar(this);
    m_whyProgress->setTextVisible(false);
    m_whyProgress->setMaximumHeight(8);
    m_whyProgress->hide();
    whyRow->addWidget(m_whyProgress, 1);
    whyRow->addStretch(0);
    layout->addLayout(whyRow);
    m_whyNote = new QLabel(this);
    m_whyNote->setWordWrap(true);
    m_whyNote->setForegroundRole(QPalette::PlaceholderText);
    m_whyNote->hide();
    layout->addWidget(m_whyNote);
    connect(m_why, &QPushButton::toggled, this, [this](bool on) {
        if (on && !currentExplanation() && !m_explaining)
            explainCurrent();
        fill();
    });

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
    m_why->setText(tr("Why?"));
    m_why->setToolTip(tr("Show which parts of the photo make it match the words"));
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

QString DetailPane::explanationKey() const
{
    return m_result ? m_result->path + QLatin1Char('\n') + m_query : QString();
}

void DetailPane::setQuery(const QString &text)
{
    m_query = text.trimmed();
    fill();
}

const MatchExplanation *DetailPane::currentExplanation() const
{
    const auto it = m_explained.constFind(explanationKey());
    return it == m_explained.cend() ? nullptr : &*it;
}

bool DetailPane::isShowingHeatMap() const
{
    return m_why->isChecked() && currentExplanation() && m_preview && !m_preview->image.isNull();
}

bool DetailPane::explainCurrent()
{
    if (!m_result || m_query.isEmpty() || !m_service)
        return false;
    if (currentExplanation()) {
        m_why->setChecked(true);
        return true;
    }
    const QString key = explanationKey(), path = m_result->path, text = m_query;
    const quint64 ticket = ++m_explainTicket;
    m_explaining = true;
    m_whyProgress->setRange(0, 0);
    m_whyProgress->show();
    auto progress = progressOnGui(this, [this, ticket](int done, int total) {
        if (ticket == m_explainTicket) {
            m_whyProgress->setRange(0, total);
            m_whyProgress->setValue(done);
        }
    });
    m_service->explain(path, text, 4, progress, std::make_shared<std::atomic<bool>>(false))
        .then(this,
              [this, key, path, ticket](const MatchExplanation &e) {
                  m_explained.insert(key, e);
                  if (ticket == m_explainTicket) {
                      m_explaining = false;
                      m_whyProgress->hide();
                  }
                  fill();
                  Q_EMIT explanationReady(path);
              })
        .onFailed(this, [this, path, ticket](const std::exception &e) {
            if (ticket == m_explainTicket) {
                m_explaining = false;
                m_whyProgress->hide();
                m_why->setChecked(false);
            }
            Q_EMIT explanationFailed(path, exceptionMessage(e));
        });
    m_why->setChecked(true);
    return true;
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
    if (!currentExplanation() && result && m_result && !m_explaining)
        m_why->setChecked(false);
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
    if (isShowingHeatMap()) {
        // Red where the photo matches the words: each cell's drop in match probability,
        // relative to the largest drop; cells that do not matter stay clear.
        const MatchExplanation &e = *currentExplanation();
        const float top = std::max(1e-6f, e.largestDrop());
        QPainter p(&pm);
        p.setPen(Qt::NoPen);
        const double w = pm.width() / dpr, h = pm.height() / dpr;
        for (int r = 0; r < e.rows; ++r)
            for (int c = 0; c < e.cols; ++c) {
                const float heat = std::clamp(e.at(r, c) / top, 0.0f, 1.0f);
                p.setBrush(QColor(230, 30, 20, int(175 * heat)));
                p.drawRect(QRectF(c * w / e.cols, r * h / e.rows, w / e.cols, h / e.rows));
            }
    }
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
    m_score->setText(r.rankBeforeRerank > 0 ? tr("%1 (rank %2 before rerank)")
                                                  .arg(loc.toString(r.score, 'f', 3))
                                                  .arg(r.rankBeforeRerank)
                                            : loc.toString(r.score, 'f', 3));
    m_match->setText(r.matchProbability
                         ? tr("%1%").arg(loc.toString(*r.matchProbability * 100, 'f', 1))
                         : tr("not rescored"));
    const bool canExplain = !m_query.isEmpty() && m_service;
    m_why->setVisible(canExplain);
    const MatchExplanation *e = currentExplanation();
    m_whyNote->setVisible(canExplain && m_why->isChecked() && (e || m_explaining));
    if (e)
        m_whyNote->setText(
            tr("Red: the parts that make it match “%1” (match %2%; hiding the reddest part "
               "lowers it by %3 points).")
                .arg(e->translatedText.isEmpty() ? m_query : e->translatedText)
                .arg(loc.toString(e->matchProbability * 100, 'f', 0))
                .arg(loc.toString(100 * e->largestDrop(), 'f', 0)));
    else if (m_explaining)
        m_whyNote->setText(tr("Looking at each part of the photo…"));
    updatePixmap();
}

} // namespace imago
