-- mistapi.lifecycle.ip: one spelling per src_ips entry, so a plan compares
-- what entries allow. The cases a mutation pass found no spec could see
-- (docs/lifecycle.md lists them): an IPv4 tail in IPv6, IPv6 host bits, and
-- text that is no address.
local ip = require "mistapi.lifecycle.ip"

describe("ip.canonical", function()
  it("reads an IPv4 tail as the two groups it spells", function()
    assert.equal(ip.canonical("::ffff:a00:1"), ip.canonical("::ffff:10.0.0.1"))
    assert.equal("0:0:0:0:0:ffff:c0a8:102", ip.canonical("::FFFF:192.168.1.2"))
    assert.are_not.equal(ip.canonical("::ffff:10.0.0.1"), ip.canonical("::ffff:10.0.1.0"))
  end)

  it("clears an IPv6 CIDR's host bits, in and across groups", function()
    assert.equal("2001:db8:0:0:0:0:0:0/64", ip.canonical("2001:db8::5/64"))
    assert.equal("2001:db8:ab00:0:0:0:0:0/40", ip.canonical("2001:db8:abcd::1/40"))
    assert.equal(ip.canonical("2001:db8::/32"), ip.canonical("2001:db8:ffff::/32"))
  end)

  it("lower-cases and strips text that is no address, and leaves a bad prefix as written", function()
    assert.equal("any-host", ip.canonical(" Any-Host "))
    assert.equal("10.0.0.1/33", ip.canonical("10.0.0.1/33"))
    assert.equal("10.0.0.1/x", ip.canonical("10.0.0.1/X"))
  end)
end)
