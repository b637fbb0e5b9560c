"""Days between two ISO 8601 dates: end minus start, negative when end comes first."""
import datetime


def _date(text):
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        # A date-time counts by its own calendar date; the time of day does not shift it.
        return datetime.datetime.fromisoformat(text).date()


def run(inp):
    start = _date(inp["start"])
    end = _date(inp["end"])
    days = (end - start).days
    return {
        "days": days,
        "weeks": int(days / 7),
        "start_weekday": start.strftime("%A"),
        "end_weekday": end.strftime("%A"),
    }
