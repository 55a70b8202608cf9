// checkpoint_error.h - the setup-failure exception of the model layer.
#pragma once

#include <filesystem>
#include <stdexcept>
#include <string>

namespace imago::flava {

// Thrown when a model folder, config or checkpoint cannot be used. what() names the file and
// the problem in words a person can act on.
class CheckpointError : public std::runtime_error
{
public:
    CheckpointError(const std::filesystem::path &file, const std::string &problem)
        : std::runtime_error(file.string() + ": " + problem), m_file(file)
    {
    }
    const std::filesystem::path &file() const { return m_file; }

private:
    std::filesystem::path m_file;
};

} // namespace imago::flava
