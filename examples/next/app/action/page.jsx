// A page that uses the Server Action, so that it is built with an id the test can call.
import { expireTag } from "../actions.js";

export default function ActionPage() {
  return (
    <form
      action={async () => {
        "use server";
        await expireTag("uc");
      }}
    >
      <button type="submit">expire "uc"</button>
    </form>
  );
}
