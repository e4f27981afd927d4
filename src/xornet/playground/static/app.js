// xornet playground in a tab of its own (xornet playground): the page (playground.js) over a
// WebSocket to the local server. Its settings live in the address, so a link shares them.

import { mount } from "./playground.js";

function webSocketTransport() {
  let socket = null;
  const transport = {
    usesUrl: true,
    onmessage: null,
    onstatus: null,
    start(settings) {
      // The settings go with the connection: the session starts with them, so the first
      // frame the page draws is theirs (not a default run's, replaced a moment later).
      const scheme = location.protocol === "https:" ? "wss" : "ws";
      const query = new URLSearchParams({ settings: JSON.stringify(settings) });
      socket = new WebSocket(`${scheme}://${location.host}/ws?${query}`);
      socket.onopen = () => transport.onstatus("connected");
      socket.onclose = (event) => transport.onstatus("disconnected", event.reason);
      socket.onmessage = (event) => transport.onmessage(JSON.parse(event.data), []);
    },
    send(message) {
      if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
    },
    exportHref(session, name) {
      return `/session/${session}/${name}`;
    },
  };
  return transport;
}

mount(document.querySelector(".xornet-playground"), webSocketTransport());
