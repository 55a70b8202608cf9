#include "duplicate_finder.h"

#include "catalog.h"
#include "image_decoder.h"
#include "library.h"
#include "perceptual_hash.h"

#include <algorithm>
#include <map>
#include <numeric>
#include <optional>
#include <unordered_map>

namespace imago {

namespace {

class UnionFind
{
public:
    std::size_t find(std::size_t x)
    {
        while (m_parent[x] != x)
            x = m_parent[x] = m_parent[m_parent[x]];
        return x;
    }
    void join(std::size_t a, std::size_t b)
    {
        a = find(a);
        b = find(b);
        if (a != b)
            m_parent[std::max(a, b)] = std::min(a, b);
    }
    std::size_t add()
    {
        m_parent.push_back(m_parent.size());
        return m_parent.size() - 1;
    }

private:
    std::vector<std::size_t> m_parent;
};

} // namespace

DuplicateReport findDuplicates(const Library &library, const DuplicateOptions &options,
                               const std::function<void(int, int)> &progress,
                               const std::atomic<bool> *cancel)
{
    DuplicateReport report;
    Catalog catalog(library.catalogFile(), Catalog::Mode::ReadOnly);
    const QString model = library.modelIdentity();

    // Every photo that takes part gets a node; ids -> node.
    UnionFind sets;
    std::unordered_map<std::int64_t, std::size_t> node;
    std::vector<std::int64_t> idOf;
    const auto nodeOf = [&](std::int64_t id) {
        const auto [it, fresh] = node.emplace(id, 0);
        if (fresh) {
            it->second = sets.add();
            idOf.push_back(id);
        }
        return it->second;
    };

    // Same bytes.
    std::unordered_map<std::int64_t, std::size_t> contentGroup;
    const auto same = catalog.sameContentGroups();
    for (std::size_t g = 0; g < same.size(); ++g)
        for (std::int64_t id : same[g]) {
            contentGroup[id] = g;
            sets.join(nodeOf(same[g].front()), nodeOf(id));
        }

    // Candidates from the vectors.
    std::vector<std::pair<std::int64_t, std::int64_t>> candidates;
    const int dim = catalog.searchableDim(model);
    const int total = int(catalog.searchableCount(model));
    int done = 0;
    if (dim > 0) {
        catalog.forEachSearchableVector(
            model, dim, 256,
            [&](std::span<const std::int64_t> ids, std::span<const float> vectors) {
                if (cancel && cancel->load()) {
                    report.cancelled = true;
                    return false;
                }
                // The whole batch in one matrix product.
                const auto batchHits =
                    library.searchBatch(vectors, std::size_t(options.neighbours) + 1);
                for (std::size_t i = 0; i < ids.size() && i < batchHits.size(); ++i) {
                    for (const SearchHit &h : batchHits[i]) {
                        if (h.id == ids[i] || h.score < options.minCosine)
                            continue;
                        const auto a = contentGroup.find(ids[i]), b = contentGroup.find(h.id);
                        if (a != contentGroup.end() && b != contentGroup.end() &&
                            a->second == b->second)
                            continue; // already joined by their bytes
                        candidates.emplace_back(std::min(ids[i], h.id), std::max(ids[i], h.id));
                    }
                    if (progress)
                        progress(++done, total);
                }
                return true;
            });
    }
    if (report.cancelled)
        return report;
    std::sort(candidates.begin(), candidates.end());
    candidates.erase(std::unique(candidates.begin(), candidates.end()), candidates.end());
    report.candidatePairs = int(candidates.size());

    // Confirmed by the pixels: a small decode (the hash looks at 32 x 32 averages).
    std::unordered_map<std::int64_t, std::optional<PerceptualHash>> hashes;
    const auto hashOf = [&](std::int64_t id) -> std::optional<PerceptualHash> {
        if (const auto it = hashes.find(id); it != hashes.end())
            return it->second;
        std::optional<PerceptualHash> h;
        if (const auto rec = catalog.photo(id)) {
            DecodeRequest req;
            req.minSide = 128;
            const DecodeResult r = decodeImageFile(rec->facts.path, req);
            if (r.ok()) {
                const PerceptualHash p = perceptualHash(r.decoded->image);
                if (p.valid)
                    h = p;
            }
            if (!h)
                report.unreadable << rec->facts.path;
        }
        hashes.emplace(id, h);
        return h;
    };
    for (const auto &[a, b] : candidates) {
        if (cancel && cancel->load()) {
            report.cancelled = true;
            return report;
        }
        const auto ha = hashOf(a), hb = hashOf(b);
        if (ha && hb && isNearDuplicate(*ha, *hb)) {
            sets.join(nodeOf(a), nodeOf(b));
            ++report.confirmedPairs;
        }
    }

    // Groups of two or more, each by path, ordered by their first path.
    std::map<std::size_t, std::vector<std::int64_t>> members;
    for (std::size_t n = 0; n < idOf.size(); ++n)
        members[sets.find(n)].push_back(idOf[n]);
    for (auto &[root, ids] : members) {
        if (ids.size() < 2)
            continue;
        DuplicateGroup g;
        std::vector<std::pair<QString, std::int64_t>> byPath;
        QString hash;
        bool allSame = true;
        for (std::int64_t id : ids) {
            const auto rec = catalog.photo(id);
            if (!rec)
                continue;
            byPath.emplace_back(rec->facts.path, id);
            if (hash.isEmpty())
                hash = rec->facts.contentHash;
            allSame =
                allSame && !rec->facts.contentHash.isEmpty() && rec->facts.contentHash == hash;
        }
        if (byPath.size() < 2)
            continue;
        std::sort(byPath.begin(), byPath.end());
        for (const auto &[path, id] : byPath) {
            g.paths.push_back(path);
            g.ids.push_back(id);
        }
        g.kind = allSame ? DuplicateGroup::Kind::Exact : DuplicateGroup::Kind::Near;
        report.groups.push_back(std::move(g));
    }
    std::sort(report.groups.begin(), report.groups.end(),
              [](const DuplicateGroup &x, const DuplicateGroup &y) {
                  return x.paths.front() < y.paths.front();
              });
    std::sort(report.unreadable.begin(), report.unreadable.end());
    report.unreadable.removeDuplicates();
    return report;
}

} // namespace imago
