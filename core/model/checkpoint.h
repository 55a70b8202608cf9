// checkpoint.h - the tensors of a weights file, memory-mapped and validated.
//
// Opens `model.safetensors` or a `torch.save` zip (`pytorch_model.bin`), chosen by the file's
// content, not its name. Views point into the mapping and live as long as the Checkpoint.
// Read-only after open: any thread may call find().
#pragma once

#include "mapped_file.h"
#include "tensor_view.h"

#include <filesystem>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace imago::flava {

class Checkpoint
{
public:
    // Throws CheckpointError naming the file and the problem.
    explicit Checkpoint(const std::filesystem::path &file);

    // The weights file of a model folder: model.safetensors if present, else pytorch_model.bin.
    static std::filesystem::path weightsFile(const std::filesystem::path &modelDir);

    const TensorView *find(const std::string &name) const;
    const std::vector<TensorView> &tensors() const { return m_tensors; }
    const std::filesystem::path &file() const { return m_map.path(); }
    std::span<const std::uint8_t> bytes() const { return m_map.bytes(); }
    void dropResident() const { m_map.dropResident(); }
    void dropResident(std::size_t offset, std::size_t length) const
    {
        m_map.dropResident(offset, length);
    }

private:
    void readSafetensors();
    void readTorchZip();

    MappedFile m_map;
    std::vector<TensorView> m_tensors;
    std::unordered_map<std::string, std::size_t> m_index;
};

} // namespace imago::flava
