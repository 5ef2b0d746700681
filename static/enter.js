// The 403 page of /present/<room>: a second device's presenter link carries the room's token in
// the fragment (/present/<room>#token=T), which no browser sends to a server. Trade it for the
// presenter cookie (POST /present/<room>/session), after taking it out of the address bar and
// of this history entry, then load the presenter screen. A wrong token leaves this page as it
// is: "This presenter link is not valid".

const match = /^#token=([A-Za-z0-9_-]{1,128})$/.exec(window.location.hash);

async function enter(token) {
  const entering = document.getElementById("entering");
  const refused = document.getElementById("refused");
  entering.hidden = false;
  refused.hidden = true;
  let accepted = false;
  try {
    const reply = await fetch(`${window.location.pathname}/session`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ token }),
      credentials: "same-origin",
    });
    accepted = reply.status === 204;
  } catch (error) {
    accepted = false;
  }
  if (accepted) {
    window.location.replace(window.location.pathname + window.location.search);
    return;
  }
  entering.hidden = true;
  refused.hidden = false;
}

if (match) {
  history.replaceState(null, "", window.location.pathname + window.location.search);
  enter(match[1]);
}
