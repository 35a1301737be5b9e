std = "max"
codes = true
max_line_length = 120
files["spec"] = { std = "+busted" }
files["emulator/lua"] = { std = "ngx_lua" }
files["examples/openresty"] = { std = "ngx_lua" }
exclude_files = { "build", "node_modules", "tools/node_modules", "bench/results" }
