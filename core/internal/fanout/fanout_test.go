package fanout

import "testing"

func TestSlowSubscriberKeepsTheNewest(t *testing.T) {
	h := Hub[int]{Buffer: 2}
	ch, cancel := h.Subscribe()
	defer cancel()
	for i := 1; i <= 5; i++ {
		h.Publish(i) // never blocks
	}
	if a, b := <-ch, <-ch; a != 4 || b != 5 {
		t.Fatalf("got %d, %d; want the newest 4, 5", a, b)
	}
}

func TestCancelAndClose(t *testing.T) {
	var h Hub[string]
	a, cancelA := h.Subscribe()
	b, _ := h.Subscribe()
	cancelA()
	cancelA() // twice is fine
	if _, ok := <-a; ok {
		t.Fatal("cancelled channel still open")
	}
	h.Publish("x")
	if v := <-b; v != "x" {
		t.Fatalf("got %q", v)
	}
	h.Close()
	if _, ok := <-b; ok {
		t.Fatal("Close left a channel open")
	}
	c, _ := h.Subscribe()
	if _, ok := <-c; ok {
		t.Fatal("subscription after Close is open")
	}
}
