// A lazy-loaded route: built into its own chunk, fetched when /about is first shown.
export default function About() {
  return (
    <section>
      <h1>About this shop</h1>
      <p>Corpus Shop is a small React app used to test replays of recorded sessions.</p>
      <ul className="facts">
        <li>Products come from a backend on another origin.</li>
        <li>Routes use the History API.</li>
      </ul>
    </section>
  );
}
