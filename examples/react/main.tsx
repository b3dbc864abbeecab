// A React app with a call in it: `<RtcCall>` from `rtc-elements/react`, with its events
// as typed `on...` props. Room and server come from the page's query:
//   ?room=standup&server=http://localhost:3000
import { StrictMode, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { RtcCall, type RtcErrorEvent, type RtcJoinedEvent, type RtcParticipantJoinedEvent } from 'rtc-elements/react';

const query = new URLSearchParams(location.search);
const room = query.get('room') ?? 'react-example';
const server = query.get('server') ?? 'http://localhost:3000';

function App() {
  const [selfId, setSelfId] = useState<string | null>(null);
  const [people, setPeople] = useState<string[]>([]);
  const [error, setError] = useState<string | null>(null);

  return (
    <main>
      <header>
        <p>
          Room <strong>{room}</strong> on {server}
        </p>
        {selfId && <p data-testid="joined">Joined as {selfId}</p>}
        {people.length > 0 && <p data-testid="people">Came in: {people.join(', ')}</p>}
        {error && <p role="alert">{error}</p>}
      </header>
      <RtcCall
        room={room}
        server={server}
        name="React"
        autojoin
        onRtcJoined={(event: RtcJoinedEvent) => setSelfId(event.detail.selfId)}
        onRtcParticipantJoined={(event: RtcParticipantJoinedEvent) =>
          setPeople((names) => [...names, event.detail.participant.name])
        }
        onRtcLeft={() => setSelfId(null)}
        onRtcError={(event: RtcErrorEvent) => setError(`${event.detail.code}: ${event.detail.message}`)}
      />
    </main>
  );
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
