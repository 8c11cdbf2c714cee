-- Stand-in: registers the service(s) marathon-lb's signalmlb.lua provides; each answers what it is.
core.register_service("signalmlbhup", "http", function(applet)
  local body = "signalmlbhup\n"
  applet:set_status(200)
  applet:add_header("content-length", string.len(body))
  applet:start_response()
  applet:send(body)
end)
core.register_service("signalmlbusr1", "http", function(applet)
  local body = "signalmlbusr1\n"
  applet:set_status(200)
  applet:add_header("content-length", string.len(body))
  applet:start_response()
  applet:send(body)
end)
