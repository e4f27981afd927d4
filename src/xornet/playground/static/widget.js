// xornet playground in a notebook (xornet.widget.Playground): the page (playground.js) over the
// widget's messages to the kernel, which answers them with the server's own code. xornet.widget
// builds the widget's module from this file, playground.js and index.html's markup (MARKUP).

import { mount } from "./playground.js";

let copies = 0; // each view of a widget in the document gets its own ids

function widgetTransport(model) {
  const transport = {
    usesUrl: false,
    onmessage: null,
    onstatus: null,
    start() { // the kernel's Playground has its own settings
      transport.onstatus("kernel-connecting");
      model.send({ type: "connect" });
    },
    send(message) {
      model.send(message);
    },
    exportHref() {
      return null; // the kernel sends the file as a message
    },
  };
  return transport;
}

export default {
  render({ model, el }) {
    const transport = widgetTransport(model);
    const listener = (message, buffers) => {
      if (message.type === "hello") transport.onstatus("kernel-connected");
      if (transport.onmessage) transport.onmessage(message, buffers || []);
    };
    model.on("msg:custom", listener);
    copies += 1;
    const view = mount(el, transport, { markup: MARKUP, prefix: `xornet-${copies}-` });
    return () => {
      model.off("msg:custom", listener);
      view.destroy();
    };
  },
};
