#include "checkpoint.h"

#include "checkpoint_error.h"
#include "safetensors_reader.h"
#include "torch_pickle.h"
#include "zip_archive.h"

#include <limits>

namespace imago::flava {

Checkpoint::Checkpoint(const std::filesystem::path &file) : m_map(file)
{
    const auto b = m_map.bytes();
    if (b.size() >= 4 && b[0] == 'P' && b[1] == 'K' && b[2] == 3 && b[3] == 4)
        readTorchZip();
    else
        readSafetensors();
    for (std::size_t i = 0; i < m_tensors.size(); ++i)
        if (!m_index.emplace(m_tensors[i].name, i).second)
            throw CheckpointError(file, "tensor '" + m_tensors[i].name + "' appears twice");
}

std::filesystem::path Checkpoint::weightsFile(const std::filesystem::path &modelDir)
{
    for (const char *name : {"model.safetensors", "pytorch_model.bin"}) {
        const auto p = modelDir / name;
        if (std::filesystem::is_regular_file(p))
            return p;
    }
    throw CheckpointError(modelDir, "no weights: neither model.safetensors nor pytorch_model.bin");
}

const TensorView *Checkpoint::find(const std::string &name) const
{
    const auto it = m_index.find(name);
    return it == m_index.end() ? nullptr : &m_tensors[it->second];
}

void Checkpoint::readSafetensors()
{
    m_tensors = parseSafetensors(m_map.bytes(), m_map.path()).tensors;
}

void Checkpoint::readTorchZip()
{
    const ZipArchive zip(m_map.bytes(), m_map.path());
    // torch.save names every entry "<archive>/...": find the pickle to learn the prefix.
    std::string prefix;
    bool found = false;
    for (const auto &name : zip.names()) {
        const std::string suffix = "data.pkl";
        if (name.size() >= suffix.size() &&
            name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0 &&
            name.find('/') == name.size() - suffix.size() - 1) {
            prefix = name.substr(0, name.size() - suffix.size());
            found = true;
            break;
        }
    }
    if (!found)
        throw CheckpointError(m_map.path(), "zip archive has no <name>/data.pkl: not a torch.save "
                                            "checkpoint");
    const auto pickled = parseTorchStateDict(zip.entry(prefix + "data.pkl"), m_map.path());
    for (const auto &t : pickled) {
        auto bad = [&](const std::string &why) {
            throw CheckpointError(m_map.path(), "tensor '" + t.name + "': " + why);
        };
        const auto storage = zip.entry(prefix + "data/" + t.storageKey);
        const std::uint64_t item = dtypeSize(t.dtype);
        if (static_cast<std::uint64_t>(t.storageNumel) > storage.size() / item)
            bad("storage " + t.storageKey + " declares " + std::to_string(t.storageNumel) +
                " elements but holds " + std::to_string(storage.size()) + " bytes");
        // The furthest element the view touches must lie inside the storage.
        std::int64_t numel = 1;
        std::int64_t extent = t.storageOffset;
        if (t.storageOffset < 0)
            bad("negative storage offset");
        for (std::size_t d = 0; d < t.shape.size(); ++d) {
            if (t.shape[d] < 0 || t.strides[d] < 0)
                bad("negative size or stride");
            if (t.shape[d] == 0) {
                numel = 0;
                break;
            }
            if (t.shape[d] > std::numeric_limits<std::int32_t>::max() ||
                t.strides[d] > std::numeric_limits<std::int32_t>::max())
                bad("implausibly large size or stride");
            numel *= t.shape[d];
            extent += (t.shape[d] - 1) * t.strides[d];
            if (numel > t.storageNumel || extent >= t.storageNumel)
                bad("view reaches past its storage of " + std::to_string(t.storageNumel) +
                    " elements");
        }
        if (numel > 0 && extent >= t.storageNumel)
            bad("view reaches past its storage of " + std::to_string(t.storageNumel) +
                " elements");
        TensorView v;
        v.name = t.name;
        v.dtype = t.dtype;
        v.shape = t.shape;
        v.strides = t.strides;
        v.storageOffset = t.storageOffset;
        v.data = storage.data();
        v.storageBytes = static_cast<std::size_t>(t.storageNumel) * item;
        m_tensors.push_back(std::move(v));
    }
}

} // namespace imago::flava
