-- The machine and tool versions the figures came from.
local sh = require "shell"

local M = {}

local function first_line(cmd)
  local out = sh.capture(cmd .. " 2>&1")
  return ((out:match("[^\n]*") or ""):gsub("%s+$", ""))
end

function M.facts()
  local cpuinfo = sh.read("/proc/cpuinfo") or ""
  local meminfo = sh.read("/proc/meminfo") or ""
  local kib = tonumber(meminfo:match("MemTotal:%s+(%d+)")) or 0
  return {
    cpu = (cpuinfo:match("model name%s*:%s*([^\n]+)") or "unknown"),
    cores = tonumber(first_line("nproc")) or 0,
    memory_gib = math.floor(kib / 1048576 + 0.5),
    os = "Debian " .. (first_line("cat /etc/debian_version")),
    kernel = first_line("uname -r"),
    lua = first_line("lua5.4 -v"):match("^Lua %S+") or "lua5.4 ?",
    luajit = first_line("luajit -v"):match("^LuaJIT %S+") or "luajit ?",
    python = first_line("/usr/bin/python3 --version"),
    libcurl = "libcurl " .. first_line("pkg-config --modversion libcurl"),
    nginx = first_line("nginx -v"):match("nginx/%S+") or "nginx ?",
  }
end

function M.describe(f)
  return string.format("%s, %d cores, %d GiB; %s, kernel %s; %s; %s; %s; %s; %s",
    f.cpu, f.cores, f.memory_gib, f.os, f.kernel, f.lua, f.luajit, f.python, f.libcurl, f.nginx)
end

return M
