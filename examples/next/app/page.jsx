export default function Home() {
  return <p>DiskCache example: /isr/1, /fetch/1, /cached/1, /api/revalidate</p>;
}
