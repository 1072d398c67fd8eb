-- A smoke test of a Lua interpreter built by scripts/real-projects.sh (the
-- Debian source package ships no test suite). Every expected value is
-- known independently (arithmetic identities, counts by formula).
local checks = 0
local function check(what, got, want)
  checks = checks + 1
  if got ~= want then
    error(string.format("%s: got %s, want %s", what, tostring(got), tostring(want)), 2)
  end
end

-- numbers: integers, floats, conversions, overflow wraps
local s = 0
for i = 1, 1000000 do s = s + i end
check("sum 1..1e6", s, 500000500000)
check("integer wrap", math.maxinteger + 1, math.mininteger)
check("floor division", 7 // -2, -4)
check("modulo", -7 % 3, 2)
check("float format", string.format("%.17g", 0.1), "0.10000000000000001")
check("2^53", 2^53, 9007199254740992.0)
check("tointeger", math.tointeger(3.0), 3)
check("sqrt", math.sqrt(2)^2 - 2 < 1e-15, true)
check("float to string", tostring(1e100), "1e+100")

-- strings and patterns
check("gsub", (string.gsub("hello world", "o", "0")), "hell0 w0rld")
check("match", string.match("key = value", "(%w+)%s*=%s*(%w+)"), "key")
check("rep", #string.rep("ab", 1000, ","), 2999)
check("format", string.format("%5.2f|%d|%s|%x", 3.14159, 42, "x", 255), " 3.14|42|x|ff")
check("utf8", utf8.len("héllo"), 5)
check("byte/char", string.char(string.byte("Lua", 1, 3)), "Lua")
local packed = string.pack("<i4 d s1", -5, 2.5, "xyz")
local a, b, c = string.unpack("<i4 d s1", packed)
check("pack/unpack", a == -5 and b == 2.5 and c == "xyz", true)

-- tables, sorting
local t = {}
local seed = 12345
for i = 1, 20000 do
  seed = (seed * 1103515245 + 12345) % 2147483648
  t[i] = seed
end
table.sort(t)
local sorted = true
for i = 2, #t do if t[i - 1] > t[i] then sorted = false end end
check("sort", sorted, true)
check("concat", table.concat({1, 2, 3}, "-"), "1-2-3")
check("unpack", select("#", table.unpack({1, 2, 3, nil, 5}, 1, 5)), 5)
local h = {}
for i = 1, 10000 do h["k" .. i] = i end
local hs = 0
for _, v in pairs(h) do hs = hs + v end
check("hash sum", hs, 50005000)

-- functions: recursion, closures, varargs
local function fib(n) if n < 2 then return n end return fib(n - 1) + fib(n - 2) end
check("fib(25)", fib(25), 75025)
local function counter() local n = 0 return function() n = n + 1 return n end end
local c1, c2 = counter(), counter()
c1(); c1()
check("closures", c1() + c2(), 4)
local function count(...) return select("#", ...) end
check("varargs", count(nil, nil, 3), 3)

-- primes below 100000 (a sieve): 9592
local sieve, primes = {}, 0
for i = 2, 99999 do
  if not sieve[i] then
    primes = primes + 1
    for j = i * i, 99999, i do sieve[j] = true end
  end
end
check("primes", primes, 9592)

-- metatables
local V = {}
V.__index = V
V.__add = function(p, q) return setmetatable({x = p.x + q.x}, V) end
function V:double() return self.x * 2 end
local v = setmetatable({x = 2}, V) + setmetatable({x = 3}, V)
check("metatables", v:double(), 10)

-- coroutines
local gen = coroutine.wrap(function() for i = 1, 3 do coroutine.yield(i * i) end end)
check("coroutines", gen() + gen() + gen(), 14)

-- errors
local ok, err = pcall(function() error({code = 7}) end)
check("pcall", not ok and err.code, 7)
ok, err = pcall(function() return nil + 1 end)
check("arith error", not ok and string.find(err, "arithmetic") ~= nil, true)

-- load, goto, integer/float keys
local f = load("local a, b = ... return a * b")
check("load", f(6, 7), 42)
local n = 0
::again::
n = n + 1
if n < 10 then goto again end
check("goto", n, 10)
local k = {}
k[1] = "int"; k[1.0] = "float"
check("normalized keys", k[1], "float")

-- garbage collection
local before = collectgarbage("count")
do local junk = {} for i = 1, 100000 do junk[i] = {i} end end
collectgarbage("collect")
check("gc", collectgarbage("count") < before + 1000, true)

-- weak tables
local weak = setmetatable({}, {__mode = "k"})
weak[{}] = 1
collectgarbage("collect")
check("weak keys", next(weak), nil)

print(string.format("lua-smoke: ok, %d checks", checks))
