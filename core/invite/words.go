package invite

// safetyWordList holds the 256 words of SafetyWords: short, common, concrete
// English nouns, lower case, sorted, no two of them one letter apart (see
// the tests). Changing it changes every safety phrase: append a new list
// under a new transcript domain instead.
var safetyWordList = [256]string{
	"acorn", "album", "anchor", "apple", "arrow", "atom", "autumn", "badger",
	"bagel", "balloon", "bamboo", "banana", "barrel", "basket", "beach", "beaver",
	"biscuit", "blanket", "blossom", "bottle", "brick", "bridge", "broom", "bubble",
	"bucket", "bunny", "burger", "button", "cabbage", "cabin", "cactus", "camel",
	"candle", "canoe", "canyon", "carpet", "carrot", "castle", "cheese", "cherry",
	"chimney", "circus", "cloud", "cobra", "coffee", "comet", "compass", "cookie",
	"copper", "coral", "cotton", "crayon", "cricket", "crystal", "cupcake", "daisy",
	"dancer", "denim", "desert", "diamond", "doctor", "dolphin", "dragon", "drum",
	"eagle", "echo", "elbow", "engine", "falcon", "farmer", "feather", "ferry",
	"finger", "flag", "flute", "forest", "fossil", "fountain", "fox", "garden",
	"garlic", "gecko", "ghost", "giraffe", "glacier", "glove", "goose", "grape",
	"gravel", "guitar", "hammer", "hamster", "harp", "helmet", "hippo", "hockey",
	"honey", "hotel", "igloo", "iron", "island", "ivy", "jacket", "jaguar",
	"jasmine", "jelly", "jigsaw", "jungle", "kangaroo", "kayak", "ketchup", "kettle",
	"kite", "kitten", "kiwi", "koala", "ladder", "lagoon", "lantern", "laptop",
	"lava", "lemon", "leopard", "lettuce", "lizard", "llama", "lobster", "magnet",
	"mailbox", "mango", "maple", "marble", "meadow", "melon", "meteor", "mirror",
	"monkey", "muffin", "museum", "mushroom", "mustard", "napkin", "needle", "nest",
	"nickel", "noodle", "nutmeg", "oasis", "oatmeal", "ocean", "olive", "onion",
	"orange", "orbit", "orchid", "otter", "oven", "oyster", "palace", "panda",
	"paper", "parade", "pasta", "peanut", "pebble", "pelican", "pencil", "penguin",
	"pepper", "piano", "pickle", "pillow", "pilot", "pirate", "pizza", "planet",
	"popcorn", "potato", "pumpkin", "puppet", "puzzle", "quilt", "rabbit", "raccoon",
	"radio", "radish", "rainbow", "raisin", "raven", "rhino", "ribbon", "river",
	"robot", "rocket", "ruby", "saddle", "sailor", "salad", "salmon", "sandal",
	"sausage", "scarf", "scooter", "shadow", "shovel", "silver", "skunk", "sofa",
	"sparrow", "spider", "spoon", "squirrel", "statue", "sugar", "summer", "sunset",
	"swan", "sweater", "table", "taco", "teapot", "temple", "tennis", "thunder",
	"ticket", "tiger", "toast", "tofu", "tomato", "toucan", "tractor", "trophy",
	"trumpet", "tulip", "tunnel", "turtle", "umbrella", "unicorn", "valley", "vanilla",
	"velvet", "village", "violin", "volcano", "waffle", "wagon", "wallet", "walnut",
	"whistle", "window", "winter", "wolf", "wombat", "yogurt", "zebra", "zipper",
}
