export default function Shop() {
  return (
    <main>
      <h1>Next.js shop at /shop</h1>
      <p>
        <a href="/">Back to the front end</a>
      </p>
    </main>
  );
}
