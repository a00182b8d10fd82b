// A chat room per key: ws://chat.localhost:PORT/rooms/NAME reaches the instance for NAME (path
// segment 1), which hears every socket in the room. Each message is answered with the room's
// running count; binary messages are echoed as they came. The text "/leave" closes the socket from
// the app's side. A plain GET of the same URL tells how the room is doing.
// The WebSocket convention (docs/abi.md, "WebSocket"): the header flick-websocket says open, message
// or close; the response body goes back as a message; flick-websocket-close closes.
import { request, response } from "flick";

let members: i32 = 0;
let messages: i32 = 0;

export function flick_handle(): void {
  const event = request.header("flick-websocket");
  const room = roomName();
  if (event === null) {
    response.text(room + ": " + members.toString() + " here, " + messages.toString() + " messages\n");
  } else if (event == "open") {
    members++;
    response.text("joined " + room + " as #" + request.header("flick-websocket-id")! + " (" + members.toString() + " here)");
  } else if (event == "close") {
    members--;
  } else {
    messages++;
    if (request.header("content-type") == "application/octet-stream") {
      response.bytes(request.bytes());
      return;
    }
    const text = request.text();
    if (text == "/leave") {
      response.header("flick-websocket-close", "4000 left " + room);
      return;
    }
    response.text(room + " #" + messages.toString() + ": " + text);
  }
}

function roomName(): string {
  const parts = request.path.split("/");
  return parts.length > 2 && parts[2].length > 0 ? parts[2] : "lobby";
}
