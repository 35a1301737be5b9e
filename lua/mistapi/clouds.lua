--- The Mist clouds, by short name, from the `servers` list of the official spec.
-- @module mistapi.clouds

return {
  global01 = "api.mist.com",
  global02 = "api.gc1.mist.com",
  global03 = "api.ac2.mist.com",
  global04 = "api.gc2.mist.com",
  global05 = "api.gc4.mist.com",
  emea01 = "api.eu.mist.com",
  emea02 = "api.gc3.mist.com",
  emea03 = "api.ac6.mist.com",
  emea04 = "api.gc6.mist.com",
  apac01 = "api.ac5.mist.com",
  apac02 = "api.gc5.mist.com",
  apac03 = "api.gc7.mist.com",
}
