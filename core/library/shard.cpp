#include "shard.h"

#include <QByteArray>

#include <cstdlib>
#include <stdexcept>

namespace imago {

namespace {

QString processEnv(const char *name)
{
    const char *v = std::getenv(name);
    return v ? QString::fromLocal8Bit(v) : QString();
}

// A non-negative decimal integer without sign or spaces, or nullopt.
std::optional<int> plainNumber(const QString &s)
{
    if (s.isEmpty() || s.size() > 9)
        return std::nullopt;
    for (QChar c : s)
        if (c < QLatin1Char('0') || c > QLatin1Char('9'))
            return std::nullopt;
    return s.toInt();
}

} // namespace

QString ShardSpec::toString() const
{
    return QStringLiteral("%1/%2").arg(index).arg(count);
}

ShardSpec parseShardSpec(const QString &text, const std::function<QString(const char *)> &envIn)
{
    const auto env = envIn ? envIn : std::function<QString(const char *)>(processEnv);
    const auto usage = [&](const QString &why) {
        return std::invalid_argument(
            QStringLiteral("--shard %1: %2 (expected K/N or auto/N, K from 0 to N-1)")
                .arg(text, why)
                .toStdString());
    };
    const qsizetype slash = text.indexOf(QLatin1Char('/'));
    if (slash < 0)
        throw usage(QStringLiteral("no '/'"));
    const QString k = text.left(slash), n = text.mid(slash + 1);
    const auto count = plainNumber(n);
    if (!count || *count < 1)
        throw usage(QStringLiteral("N must be a whole number of at least 1"));
    ShardSpec spec;
    spec.count = *count;
    if (k == QLatin1String("auto")) {
        static constexpr const char *kVars[] = {"SLURM_ARRAY_TASK_ID", "JOB_COMPLETION_INDEX",
                                                "IMAGO_SHARD_INDEX"};
        QString from, value;
        for (const char *var : kVars) {
            value = env(var);
            if (!value.isEmpty()) {
                from = QString::fromLatin1(var);
                break;
            }
        }
        if (from.isEmpty())
            throw usage(QStringLiteral("auto needs SLURM_ARRAY_TASK_ID, JOB_COMPLETION_INDEX or "
                                       "IMAGO_SHARD_INDEX in the environment; none is set"));
        const auto index = plainNumber(value.trimmed());
        if (!index)
            throw usage(QStringLiteral("%1 is '%2', not a shard number").arg(from, value));
        if (*index >= spec.count)
            throw usage(QStringLiteral("%1 is %2, but there are only %3 shards (0 to %4): "
                                       "does the array size match N?")
                            .arg(from)
                            .arg(*index)
                            .arg(spec.count)
                            .arg(spec.count - 1));
        spec.index = *index;
        return spec;
    }
    const auto index = plainNumber(k);
    if (!index)
        throw usage(QStringLiteral("K must be a whole number or auto"));
    if (*index >= spec.count)
        throw usage(QStringLiteral("K must be below N"));
    spec.index = *index;
    return spec;
}

std::optional<ShardSpec> shardFromText(const QString &text)
{
    const qsizetype slash = text.indexOf(QLatin1Char('/'));
    if (slash < 0)
        return std::nullopt;
    const auto k = plainNumber(text.left(slash)), n = plainNumber(text.mid(slash + 1));
    if (!k || !n || *n < 1 || *k >= *n)
        return std::nullopt;
    return ShardSpec{*k, *n};
}

std::uint64_t stablePathHash(const QString &relativePath)
{
    std::uint64_t h = 14695981039346656037ull;
    for (const char c : relativePath.toUtf8()) {
        h ^= std::uint8_t(c);
        h *= 1099511628211ull;
    }
    return h;
}

int shardOfPath(const QString &relativePath, int count)
{
    return count <= 1 ? 0 : int(stablePathHash(relativePath) % std::uint64_t(count));
}

} // namespace imago
