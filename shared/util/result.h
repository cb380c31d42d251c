#pragma once

#include <string>
#include <utility>
#include <variant>

namespace cc {

// A value or an error, for operations whose failure is an ordinary outcome (bad input from the
// network, a config file with a typo). g++ 12 has no std::expected; this is the small part of it
// we need.
template <typename T, typename E>
class Result {
public:
    Result(T value)
        : m_data(std::in_place_index<0>, std::move(value))
    {}
    Result(E error)
        : m_data(std::in_place_index<1>, std::move(error))
    {}

    bool ok() const { return m_data.index() == 0; }
    explicit operator bool() const { return ok(); }

    const T& value() const& { return std::get<0>(m_data); }
    T& value() & { return std::get<0>(m_data); }
    T&& value() && { return std::get<0>(std::move(m_data)); }
    const E& error() const { return std::get<1>(m_data); }

    const T* operator->() const { return &value(); }
    const T& operator*() const { return value(); }

private:
    std::variant<T, E> m_data;
};

} // namespace cc
